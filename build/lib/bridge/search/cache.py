"""A small thread-safe LRU cache whose capacity is counted in items of any size.

Each index generation owns its caches (decoded postings, recent results), so publishing a new
generation drops them with it and a cached answer never outlives the index it came from.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

Value = TypeVar("Value")


class LRUCache(Generic[Value]):
    """Keeps the most recently used values while their total `size` stays within `capacity`."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._items: OrderedDict[Hashable, tuple[Value, int]] = OrderedDict()
        self._used = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Value | None:
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            self._items.move_to_end(key)
            return item[0]

    def put(self, key: Hashable, value: Value, size: int = 1) -> None:
        """Store `value`; one larger than the whole capacity is not kept at all."""
        if size > self.capacity:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._used -= old[1]
            self._items[key] = (value, size)
            self._used += size
            while self._used > self.capacity:
                _, (_, evicted) = self._items.popitem(last=False)
                self._used -= evicted

    def __len__(self) -> int:
        return len(self._items)
