"""One place turns the settings into the running parts of the bridge, with no Flask in sight.

The web app, every `kb` command and any later worker (a mail poller, scheduled jobs) ask a
`Services` for what they need instead of building it: the policy, the products, database
sessions, the mail transport, the ticket desk, the outbox sender, the search index and the
search log. Files are read and checked when the services are built, so a bad policy or product
list stops start-up; anything that holds connections or threads is made on first use, so each
gunicorn worker (which builds its services after forking) opens its own.
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Engine, event
from sqlalchemy.orm import Session, sessionmaker

from bridge.content.products import Product, load_products
from bridge.db import make_engine, make_session_factory, utc_now
from bridge.notify.compose import check_sender
from bridge.notify.headers import UnsafeHeader
from bridge.notify.outbox import MAIL_QUEUED, OutboxSender
from bridge.notify.transport import Transport, transport_from_url
from bridge.settings import Settings, SettingsError
from bridge.tickets.policy import SupportPolicy, load_policy

if TYPE_CHECKING:
    from bridge.credits.assessment import CreditDesk
    from bridge.credits.mail import CustomerMail
    from bridge.credits.quotes import QuoteDesk
    from bridge.search.index_reader import IndexUnavailable, SearchIndex
    from bridge.mailin.receive import MailDesk
    from bridge.searchlog.recorder import SearchLog
    from bridge.tickets.service import TicketDesk

OUTBOX_INTERVAL_SECONDS = 30.0


class Services:
    """The bridge's parts for one process, built from one `Settings`."""

    def __init__(self, settings: Settings, *, clock: Callable[[], datetime] = utc_now) -> None:
        self.settings = settings
        self.clock = clock
        policy = load_policy(settings.support_policy)
        # KB_ENTITLEMENT lets a desk that serves anyone keep the shipped policy file.
        self.policy: SupportPolicy = replace(policy, entitlement=settings.entitlement or policy.entitlement)
        try:
            self.products: tuple[Product, ...] = tuple(load_products(settings.products))
        except ValueError as error:
            raise SettingsError(f"KB_PRODUCTS: {error}") from error
        keys = [product.key for product in self.products]
        if self.policy.email.product is not None and self.policy.email.product not in keys:
            raise SettingsError(f"KB_SUPPORT_POLICY: email.product {self.policy.email.product!r} is not in KB_PRODUCTS "
                                f"({', '.join(keys)})")
        try:
            check_sender(settings.mail_from)
        except UnsafeHeader as error:
            raise SettingsError(f"KB_MAIL_FROM: {error.problem}") from error
        try:
            self.transport: Transport = transport_from_url(settings.smtp_url, settings.outbox_dir,
                                                           smtputf8=settings.smtp_utf8)
        except ValueError as error:
            raise SettingsError(f"KB_SMTP_URL: {error}") from error
        self._lock = threading.RLock()
        self._engine: Engine | None = None
        self._sessions: sessionmaker[Session] | None = None
        self._sender: OutboxSender | None = None
        self._stop_sender = threading.Event()
        self._index: SearchIndex | IndexUnavailable | None = None
        self._desk: TicketDesk | None = None
        self._credits: CreditDesk | None = None
        self._quotes: QuoteDesk | None = None
        self._mail_desk: MailDesk | None = None
        self._search_log: SearchLog | None = None

    # --- database --------------------------------------------------------------------------------

    def sessions(self) -> sessionmaker[Session]:
        """Sessions on this process's engine; committing one that queued mail wakes the outbox sender."""
        with self._lock:
            if self._sessions is None:
                self._engine = make_engine(self.settings.database_url)
                self._sessions = make_session_factory(self._engine)
                event.listen(self._sessions, "after_commit", self._wake_sender_if_mail_queued)
            return self._sessions

    def _wake_sender_if_mail_queued(self, session: Session) -> None:
        if session.info.pop(MAIL_QUEUED, False) and self._sender is not None:
            self._sender.wake()

    # --- mail ------------------------------------------------------------------------------------

    def outbox_sender(self) -> OutboxSender:
        with self._lock:
            if self._sender is None:
                self._sender = OutboxSender(self.sessions(), self.transport, max_attempts=self.settings.mail_max_attempts)
            return self._sender

    def start_outbox_sender(self, interval: float = OUTBOX_INTERVAL_SECONDS) -> threading.Thread:
        """Send queued mail from this process in the background until `close()`; any process may run one."""
        return self.outbox_sender().run_in_background(interval, self._stop_sender)

    # --- search ----------------------------------------------------------------------------------

    def search_index(self) -> SearchIndex | IndexUnavailable:
        """The published search index, opened once; IndexUnavailable (returned, not raised) when there is none."""
        from bridge.search.index_reader import IndexUnavailable, SearchIndex

        with self._lock:
            if self._index is None:
                try:
                    self._index = SearchIndex(self.settings.index_dir)
                except IndexUnavailable as unavailable:
                    self._index = unavailable
            return self._index

    def search_log(self) -> SearchLog:
        """The search log's writer for this process (it owns a thread, so it starts on first use)."""
        from bridge.searchlog.recorder import SearchLog

        with self._lock:
            if self._search_log is None:
                # Phone numbers customers write without a country code are read as the desk's country's.
                self._search_log = SearchLog(self.sessions(), retention_days=self.settings.search_log_retention_days,
                                             phone_region=self.policy.holidays.country)
            return self._search_log

    # --- tickets ---------------------------------------------------------------------------------

    def desk(self) -> TicketDesk:
        """The ticket desk; it suggests articles from the search index when one is published, and tells the
        product's review board of every ticket it stores (bridge/desk/notifications.py)."""
        from bridge.desk.notifications import new_ticket
        from bridge.search.index_reader import IndexUnavailable
        from bridge.tickets.service import MailSettings, TicketDesk, find_article_in_index, suggest_from_index

        with self._lock:
            if self._desk is None:
                index = self.search_index()
                published = None if isinstance(index, IndexUnavailable) else index
                self._desk = TicketDesk(
                    policy=self.policy, products=self.products,
                    mail=MailSettings(sender=self.settings.mail_from, site_url=self.settings.public_url,
                                      smtputf8=self.transport.smtputf8),
                    suggest=suggest_from_index(published),
                    find_article=find_article_in_index(published),
                    clock=lambda: self.clock(),
                    on_created=new_ticket,
                )
            return self._desk

    def credits(self) -> CreditDesk | None:
        """The credits desk, or None when the policy does not charge credits."""
        from bridge.credits.assessment import CreditDesk
        from bridge.tickets.business_time import BusinessCalendar

        if self.policy.credits is None:
            return None
        with self._lock:
            if self._credits is None:
                self._credits = CreditDesk(self.policy.credits, BusinessCalendar.from_policy(self.policy),
                                           self._customer_mail())
            return self._credits

    def quotes(self) -> QuoteDesk:
        """Quotes for work outside the agreement (new requirements, out-of-hours cover), on every desk."""
        from bridge.credits.quotes import QuoteDesk
        from bridge.tickets.business_time import BusinessCalendar

        with self._lock:
            if self._quotes is None:
                self._quotes = QuoteDesk(BusinessCalendar.from_policy(self.policy), self._customer_mail())
            return self._quotes

    def _customer_mail(self) -> CustomerMail:
        from bridge.credits.mail import CustomerMail

        return CustomerMail(sender=self.settings.mail_from, site_url=self.settings.public_url)

    def mail_desk(self) -> MailDesk:
        """The handler for email to the support address (`kb mail ingest`, `kb mail poll`)."""
        from bridge.mailin.receive import MailDesk, MailInSettings

        with self._lock:
            if self._mail_desk is None:
                megabyte = 1_000_000
                self._mail_desk = MailDesk(self.sessions(), self.desk(), MailInSettings(
                    support_address=self.settings.mail_from, max_bytes=self.settings.mail_max_mb * megabyte,
                    max_attachment_bytes=self.settings.attachment_max_mb * megabyte,
                    acknowledgements_per_hour=self.settings.mail_acknowledgements_per_hour), clock=lambda: self.clock())
            return self._mail_desk

    def close(self) -> None:
        """Stop the background sender and search log writer, and close the database connections."""
        self._stop_sender.set()
        with self._lock:
            if self._search_log is not None:
                self._search_log.close()
                self._search_log = None
            if self._engine is not None:
                self._engine.dispose()
