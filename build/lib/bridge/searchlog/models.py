"""Tables of the search log."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bridge.db import Base, UtcDateTime, utc_now


class SearchEvent(Base):
    """One settled search: the normalised query, what it found, and what the customer did next."""

    __tablename__ = "search_events"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    visit_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    query: Mapped[str] = mapped_column(Text, index=True)
    result_count: Mapped[int] = mapped_column(Integer)
    top_results: Mapped[list[str]] = mapped_column(JSON)
    confident: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now, index=True)
    opened_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    contacted_support: Mapped[bool] = mapped_column(Boolean, default=False)
    not_helpful: Mapped[bool] = mapped_column(Boolean, default=False)


class ArticleFeedback(Base):
    """An answer to "Did this answer your question?" on an article."""

    __tablename__ = "article_feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    page: Mapped[str] = mapped_column(Text, index=True)
    helpful: Mapped[bool] = mapped_column(Boolean)
    search_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utc_now, index=True)
