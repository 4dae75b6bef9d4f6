"""What a search may return: restrictions by outlet and publication date, shared by both retrieval sides."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from qa_bot.models import day_number


@dataclass(frozen=True)
class Filters:
    """Metadata restrictions on what may be retrieved. Empty means no restriction.

    Args:
        outlets: only passages from these outlets (any of them); empty allows every outlet.
        since: only articles published on or after this day (undated articles never match).
        until: only articles published on or before this day.

    Raises:
        ValueError: ``since`` is after ``until`` (nothing could match).
    """

    outlets: tuple[str, ...] = ()
    since: date | None = None
    until: date | None = None

    def __post_init__(self) -> None:
        if self.since and self.until and self.since > self.until:
            raise ValueError(f"the date range is empty: since {self.since} is after until {self.until}")

    def where(self) -> dict | None:
        """The Chroma ``where`` clause for these filters, or ``None`` when there is no restriction."""
        clauses: list[dict] = []
        if self.outlets:
            clauses.append({"outlet": {"$in": list(self.outlets)}})
        if self.since:
            clauses.append({"published_day": {"$gte": day_number(self.since)}})
        if self.until:
            clauses.append({"published_day": {"$lte": day_number(self.until)}})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}

    def __bool__(self) -> bool:
        return bool(self.outlets or self.since or self.until)
