"""Recording searches off the request path.

A search answers in milliseconds; waiting for a database commit on every keystroke-driven
query would cost more than the search. Events go onto a queue that one background thread
writes in order. An event still queued when the process dies is lost: acceptable for
analytics, unlike tickets.

Search-as-you-type sends "roo", "room", "room fin", "room finder" within seconds. Within one
visit, a query that extends (or trims) the previous one replaces it, so the log holds what the
customer settled on, not every prefix.
"""
from __future__ import annotations

import logging
import queue
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session, sessionmaker

from bridge.db import utc_now
from bridge.searchlog.models import ArticleFeedback, SearchEvent
from bridge.searchlog.redact import redact_query

log = logging.getLogger(__name__)
SETTLE_SECONDS = 60
VISITS_REMEMBERED = 10_000
PURGE_EVERY = timedelta(hours=24)

Operation = Callable[[Session], None]


@dataclass
class _LastSearch:
    search_id: str
    query: str
    at: datetime


class SearchLog:
    """The search log of one process; start it after forking (it owns a thread)."""

    def __init__(self, session_factory: sessionmaker[Session], retention_days: int, *, phone_region: str,
                 clock: Callable[[], datetime] = utc_now) -> None:
        """phone_region: the country (ISO code) whose phone numbers written without a country code are masked."""
        self._sessions = session_factory
        self._phone_region = phone_region
        self._retention = timedelta(days=retention_days)
        self._clock = clock
        self._queue: queue.Queue[Operation | None] = queue.Queue()
        self._last: OrderedDict[str, _LastSearch] = OrderedDict()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._next_purge = clock()

    def record_search(self, *, visit_id: str | None, query: str, result_count: int,
                      top_results: Sequence[str], confident: bool) -> str:
        """Queue a search; returns its id, which the client quotes when a result is opened.

        Personal data typed into the search box (an email address, a phone number, a postal address) and
        control characters are taken out before the query is stored (bridge/searchlog/redact.py).
        """
        now = self._clock()
        query = redact_query(query, region=self._phone_region)
        values = {"query": query, "result_count": result_count, "top_results": list(top_results),
                  "confident": confident, "created_at": now}
        previous = self._settling(visit_id, query, now)
        if previous is None:
            search_id = secrets.token_hex(16)
            self._submit(lambda session: session.add(SearchEvent(id=search_id, visit_id=visit_id, **values)))
        else:
            search_id = previous
            self._submit(lambda session: _update(session, search_id, **values))
        if visit_id:
            with self._lock:
                self._last[visit_id] = _LastSearch(search_id, query, now)
                self._last.move_to_end(visit_id)
                while len(self._last) > VISITS_REMEMBERED:
                    self._last.popitem(last=False)
        return search_id

    def mark_opened(self, search_id: str, url: str) -> None:
        self._submit(lambda session: _update(session, search_id, opened_url=url))

    def mark_contacted_support(self, search_id: str) -> None:
        self._submit(lambda session: _update(session, search_id, contacted_support=True))

    def record_feedback(self, *, page: str, helpful: bool, search_id: str | None) -> None:
        def write(session: Session) -> None:
            session.add(ArticleFeedback(page=page, helpful=helpful, search_id=search_id, created_at=self._clock()))
            if search_id and not helpful:
                _update(session, search_id, not_helpful=True)

        self._submit(write)

    def flush(self) -> None:
        """Wait until everything queued so far is written (tests, shutdown)."""
        self._queue.join()

    def close(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._thread = None

    def purge(self, now: datetime | None = None) -> None:
        """Delete entries older than the retention period."""
        cutoff = (now or self._clock()) - self._retention
        with self._sessions.begin() as session:
            session.execute(delete(SearchEvent).where(SearchEvent.created_at < cutoff))
            session.execute(delete(ArticleFeedback).where(ArticleFeedback.created_at < cutoff))

    def _settling(self, visit_id: str | None, query: str, now: datetime) -> str | None:
        """The id of this visit's previous search if the customer is still typing the same one."""
        if not visit_id:
            return None
        with self._lock:
            last = self._last.get(visit_id)
        if last is None or (now - last.at).total_seconds() > SETTLE_SECONDS:
            return None
        return last.search_id if query.startswith(last.query) or last.query.startswith(query) else None

    def _submit(self, operation: Operation) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="search-log", daemon=True)
                self._thread.start()
        self._queue.put(operation)

    def _run(self) -> None:
        while (operation := self._queue.get()) is not None:
            try:
                if self._clock() >= self._next_purge:
                    self.purge()
                    self._next_purge = self._clock() + PURGE_EVERY
                with self._sessions.begin() as session:
                    operation(session)
            except Exception:  # One unwritable event must not stop the log; the reason goes to the log.
                log.exception("search log: an event could not be written")
            finally:
                self._queue.task_done()
        self._queue.task_done()


def _update(session: Session, search_id: str, **values: object) -> None:
    event = session.get(SearchEvent, search_id)
    if event is not None:
        for name, value in values.items():
            setattr(event, name, value)
