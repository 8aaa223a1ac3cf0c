"""Section vectors already encoded, kept between builds, so a build pays for each text once, ever.

Encoding is almost all of a full build's index step, and a help centre built by CI from a clean
checkout would otherwise encode every section on every commit. A vector depends only on the
model and the exact text it was made from, so it is stored under the SHA-256 of the two: a
build into an empty output folder encodes only texts no build has encoded before, an edited
section is encoded again (its text changed), and another model never reads this one's vectors.

The store is one SQLite file in `KB_CACHE_DIR`, outside the output folder, so that deleting or
replacing an output folder keeps it. Deleting it is always safe: the next build encodes afresh.
Several builds may share it at once (SQLite's write-ahead log; a writer waits for another).
"""
from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from contextlib import closing
from pathlib import Path

FILE = "sentence-vectors.sqlite3"
# SQLite accepts up to 32,766 parameters in one statement; lookups go in slices well below that.
LOOKUP_SLICE = 900
BUSY_SECONDS = 60


class VectorCacheError(RuntimeError):
    """The cache cannot be opened or read; the message names the file and says it may be deleted."""


def cache_key(model: str, text: str) -> bytes:
    """The address of `text`'s vector under `model` (a fingerprint): the same pair, the same key, on any machine."""
    return hashlib.sha256(model.encode() + b"\0" + text.encode()).digest()


class VectorCache:
    """Vectors (as the index stores them, bytes) by `cache_key`, in `folder`."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / FILE
        try:
            folder.mkdir(parents=True, exist_ok=True)
            with closing(self._connect()) as connection, connection:
                connection.execute("PRAGMA journal_mode=WAL")
                connection.execute("CREATE TABLE IF NOT EXISTS vectors (key BLOB PRIMARY KEY, vector BLOB NOT NULL) "
                                   "WITHOUT ROWID")
        except (OSError, sqlite3.Error) as error:
            raise self._error(error) from error

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=BUSY_SECONDS)

    def _error(self, error: Exception) -> VectorCacheError:
        return VectorCacheError(f"the sentence-vector cache {self.path} (KB_CACHE_DIR) cannot be used: {error}. "
                                "Deleting it is safe; the next build encodes every section again")

    def get_many(self, keys: Sequence[bytes]) -> dict[bytes, bytes]:
        """The stored vectors of those `keys` that have one."""
        found: dict[bytes, bytes] = {}
        try:
            with closing(self._connect()) as connection:
                for start in range(0, len(keys), LOOKUP_SLICE):
                    part = keys[start:start + LOOKUP_SLICE]
                    rows = connection.execute(f"SELECT key, vector FROM vectors WHERE key IN ({','.join('?' * len(part))})",
                                              part)
                    found.update(rows)
        except sqlite3.Error as error:
            raise self._error(error) from error
        return found

    def put_many(self, vectors: Mapping[bytes, bytes] | Iterable[tuple[bytes, bytes]]) -> None:
        """Store vectors by key, in one transaction; a key already there keeps its vector (it is the same)."""
        items = vectors.items() if isinstance(vectors, Mapping) else vectors
        try:
            with closing(self._connect()) as connection, connection:
                connection.executemany("INSERT OR IGNORE INTO vectors (key, vector) VALUES (?, ?)", items)
        except sqlite3.Error as error:
            raise self._error(error) from error
