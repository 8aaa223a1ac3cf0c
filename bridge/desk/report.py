"""The board's figures: what was raised, how fast the desk answered, whether it kept its promises, how
customers rated it, and how many questions the help centre answered before they became tickets.

Ticket figures are about the tickets raised in the period (a cohort), so a ticket counts once however
long it stays open. Times are business hours on the desk's clock, with the time spent waiting on the
customer left out (the targets' clock stops then too), counted from when the clock started: raising
the ticket, or releasing it when support was withheld. The self-service figure sets searches that
ended in an article (one was opened and the customer did not go on to contact support) and "This
solved it" answers against the tickets raised from a search, per product and per article. An
article's product is the first folder of its address, as `kb/<product>/` lays the site out.
"""
from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from bridge.credits.figures import credits_by_category, quotes_by_outcome
from bridge.searchlog.models import SearchEvent
from bridge.searchlog.trail import article_path
from bridge.tickets.business_time import BusinessCalendar
from bridge.tickets.models import Deflection, Ticket, TicketEvent
from bridge.tickets.status import TicketStatus

WAITING = TicketStatus.WAITING_ON_CUSTOMER.value
WITHHELD = TicketStatus.WITHHELD.value


@dataclass(frozen=True)
class Targets:
    """One kind of target over the cohort: met in time, missed (late, or still open past it), still running."""

    met: int = 0
    breached: int = 0
    running: int = 0


@dataclass(frozen=True)
class SelfService:
    """For a product or an article: searches that ended in an article, "This solved it", tickets raised anyway."""

    key: str
    opened: int = 0
    solved: int = 0
    tickets: int = 0

    @property
    def share(self) -> float | None:
        """The part of these questions the help centre answered itself, 0 to 1; None with nothing to count."""
        answered = self.opened + self.solved
        return answered / (answered + self.tickets) if answered + self.tickets else None


@dataclass(frozen=True)
class DeskReport:
    since: datetime
    until: datetime
    products: tuple[str, ...] | None
    raised: int
    by_priority: dict[str, int]
    by_request_type: dict[str, int]
    median_response_hours: float | None
    median_resolution_hours: float | None
    response: Targets
    resolution: Targets
    ratings: dict[int, int]
    per_product: list[SelfService] = field(default_factory=list)
    per_article: list[SelfService] = field(default_factory=list)
    # On a desk that charges credits: net credits charged per category; quotes for work outside the agreement.
    credits_by_category: dict[str, int] = field(default_factory=dict)
    quotes: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def rated(self) -> int:
        return sum(self.ratings.values())

    @property
    def average_rating(self) -> float | None:
        return sum(score * n for score, n in self.ratings.items()) / self.rated if self.rated else None

    def rows(self) -> list[tuple[str, str, object]]:
        """Every figure as (section, name, value): the CSV, and the table's lines."""
        rows: list[tuple[str, str, object]] = [("tickets", "raised", self.raised)]
        rows += [("by priority", key, n) for key, n in self.by_priority.items()]
        rows += [("by request type", key, n) for key, n in self.by_request_type.items()]
        rows += [("business hours", "median to first response", _rounded(self.median_response_hours)),
                 ("business hours", "median to resolution", _rounded(self.median_resolution_hours))]
        for name, targets in (("response target", self.response), ("resolution target", self.resolution)):
            rows += [(name, "met", targets.met), (name, "breached", targets.breached), (name, "running", targets.running)]
        rows += [("ratings", str(score), n) for score, n in self.ratings.items()]
        rows += [("ratings", "average", _rounded(self.average_rating))]
        for section, items in (("self-service by product", self.per_product),
                               ("self-service by article", self.per_article)):
            for item in items:
                rows += [(section, f"{item.key}: {name}", value) for name, value in
                         (("opened", item.opened), ("solved", item.solved), ("tickets", item.tickets),
                          ("share", _rounded(item.share)))]
        rows += [("credits charged by category", key, n) for key, n in self.credits_by_category.items()]
        rows += [("quotes", f"{reason}: {status}", n) for reason, outcomes in self.quotes.items()
                 for status, n in outcomes.items()]
        return rows

    def as_json(self) -> dict[str, object]:
        def service(item: SelfService) -> dict[str, object]:
            return {"key": item.key, "opened": item.opened, "solved": item.solved, "tickets": item.tickets,
                    "share": _rounded(item.share)}

        return {
            "since": self.since.isoformat(), "until": self.until.isoformat(),
            "products": list(self.products) if self.products is not None else None,
            "raised": self.raised, "by_priority": self.by_priority, "by_request_type": self.by_request_type,
            "median_response_business_hours": _rounded(self.median_response_hours),
            "median_resolution_business_hours": _rounded(self.median_resolution_hours),
            "response_target": vars(self.response), "resolution_target": vars(self.resolution),
            "ratings": {str(score): n for score, n in self.ratings.items()}, "rated": self.rated,
            "average_rating": _rounded(self.average_rating),
            "self_service": {"by_product": [service(item) for item in self.per_product],
                             "by_article": [service(item) for item in self.per_article]},
            "credits_by_category": self.credits_by_category, "quotes": self.quotes,
        }


def desk_report(session: Session, *, since: datetime, until: datetime, calendar: BusinessCalendar,
                priorities: Sequence[str], request_types: Sequence[str],
                products: Collection[str] | None = None, credit_categories: Sequence[str] = ()) -> DeskReport:
    """The figures for tickets raised, searches made and articles marked solved from since to until.

    products narrows everything to those products (a board's, or `kb report --product`); None is all.
    credit_categories orders the credits charged by category (the policy's order).
    """
    query = select(Ticket).where(Ticket.created_at >= since, Ticket.created_at < until)
    if products is not None:
        query = query.where(Ticket.product.in_(list(products)))
    tickets = list(session.scalars(query.order_by(Ticket.id)))
    starts, waits = _clock_history(session, [ticket.id for ticket in tickets])
    response_hours, resolution_hours = [], []
    for ticket in tickets:
        start = starts.get(ticket.id, ticket.created_at)
        if ticket.responded_at is not None:
            response_hours.append(_desk_hours(calendar, start, ticket.responded_at, waits[ticket.id]))
        if ticket.resolved_at is not None:
            resolution_hours.append(_desk_hours(calendar, start, ticket.resolved_at, waits[ticket.id]))
    by_priority, by_type = Counter(t.priority for t in tickets), Counter(t.request_type for t in tickets)
    per_product, per_article = _self_service(session, tickets, since, until, products)
    return DeskReport(
        since=since, until=until, products=tuple(sorted(products)) if products is not None else None,
        raised=len(tickets),
        by_priority={key: by_priority[key] for key in _ordered(priorities, by_priority)},
        by_request_type={key: by_type[key] for key in _ordered(request_types, by_type)},
        median_response_hours=_median(response_hours), median_resolution_hours=_median(resolution_hours),
        response=_targets(tickets, until, "respond_by", "responded_at"),
        resolution=_targets(tickets, until, "resolve_by", "resolved_at"),
        ratings={score: sum(1 for t in tickets if t.rating == score) for score in range(1, 6)},
        per_product=per_product, per_article=per_article,
        credits_by_category=credits_by_category(session, [t.id for t in tickets], credit_categories),
        quotes=quotes_by_outcome(session, [t.id for t in tickets]),
    )


def _clock_history(session: Session, ticket_ids: list[int]) -> tuple[dict[int, datetime],
                                                                    dict[int, list[tuple[datetime, datetime | None]]]]:
    """When each ticket's clock started (its release, for one that was withheld), and its waits on the customer."""
    starts: dict[int, datetime] = {}
    waits: dict[int, list[tuple[datetime, datetime | None]]] = defaultdict(list)
    if not ticket_ids:
        return starts, waits
    events = session.execute(
        select(TicketEvent.ticket_id, TicketEvent.at, TicketEvent.from_status, TicketEvent.to_status)
        .where(TicketEvent.ticket_id.in_(ticket_ids), TicketEvent.kind == "status",
               or_(TicketEvent.from_status.in_([WAITING, WITHHELD]), TicketEvent.to_status == WAITING))
        .order_by(TicketEvent.ticket_id, TicketEvent.at, TicketEvent.id))
    for ticket_id, at, from_status, to_status in events:
        if from_status == WITHHELD:
            starts[ticket_id] = at
        if from_status == WAITING and waits[ticket_id] and waits[ticket_id][-1][1] is None:
            waits[ticket_id][-1] = (waits[ticket_id][-1][0], at)
        if to_status == WAITING:
            waits[ticket_id].append((at, None))
    return starts, waits


def _desk_hours(calendar: BusinessCalendar, start: datetime, end: datetime,
                waits: Iterable[tuple[datetime, datetime | None]]) -> float:
    """Business hours from start to end, less the business hours spent waiting on the customer in between."""
    total = calendar.business_hours_between(start, end)
    for began, ended in waits:
        began, ended = max(began, start), min(ended or end, end)
        if began < ended:
            total -= calendar.business_hours_between(began, ended)
    return max(total, 0.0)


def _targets(tickets: Sequence[Ticket], now: datetime, due: str, done: str) -> Targets:
    met = breached = running = 0
    for ticket in tickets:
        target, at = getattr(ticket, due), getattr(ticket, done)
        if target is None:
            continue
        if at is not None:
            met, breached = (met + 1, breached) if at <= target else (met, breached + 1)
        elif (ticket.waiting_since or now) > target:
            breached += 1
        else:
            running += 1
    return Targets(met=met, breached=breached, running=running)


def _self_service(session: Session, tickets: Sequence[Ticket], since: datetime, until: datetime,
                  products: Collection[str] | None) -> tuple[list[SelfService], list[SelfService]]:
    opened: Counter[str] = Counter()
    for url, count in session.execute(
            select(SearchEvent.opened_url, func.count())
            .where(SearchEvent.created_at >= since, SearchEvent.created_at < until, SearchEvent.opened_url.is_not(None),
                   SearchEvent.contacted_support.is_(False))
            .group_by(SearchEvent.opened_url)):
        opened[article_path(url)] += count
    solved: Counter[str] = Counter()
    for url, count in session.execute(
            select(Deflection.article_url, func.count())
            .where(Deflection.created_at >= since, Deflection.created_at < until).group_by(Deflection.article_url)):
        solved[article_path(url)] += count
    from_search = [ticket for ticket in tickets if (ticket.query or "").strip()]
    suggested: Counter[str] = Counter(path for ticket in tickets
                                      for path in {article_path(a["url"]) for a in ticket.suggested_articles})
    wanted = (lambda key: key in products) if products is not None else (lambda key: True)  # noqa: E731
    product_keys = sorted({_product(path) for path in [*opened, *solved]} | {t.product for t in from_search})
    per_product = [SelfService(key, opened=sum(n for path, n in opened.items() if _product(path) == key),
                               solved=sum(n for path, n in solved.items() if _product(path) == key),
                               tickets=sum(1 for t in from_search if t.product == key))
                   for key in product_keys if key and wanted(key)]
    per_article = [SelfService(path, opened=opened[path], solved=solved[path], tickets=suggested[path])
                   for path in sorted({*opened, *solved, *suggested}) if path and wanted(_product(path))]
    per_article.sort(key=lambda row: (-(row.opened + row.solved + row.tickets), row.key))
    return per_product, per_article


def _product(path: str) -> str:
    return path.split("/", 1)[0]


def _ordered(known: Sequence[str], counted: Counter[str]) -> list[str]:
    """The policy's order, then anything stored under a key the policy no longer has."""
    return [*known, *sorted(set(counted) - set(known))]


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None
