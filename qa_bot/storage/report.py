"""What a write did, article by article, and how a batch of articles is sorted before it is written."""

from __future__ import annotations

from dataclasses import dataclass, field

from qa_bot.errors import LoaderError
from qa_bot.models import Article
from qa_bot.storage.registry import INDEXED, ORIGIN_ADDED


@dataclass
class WriteReport:
    """What a write did, article by article."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    refused: list[LoaderError] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    chunks_written: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        """One line for people, e.g. ``"2 added, 0 updated, 5 unchanged; 9 chunks embedded in 1.2s"``."""
        parts = [f"{len(self.added)} added", f"{len(self.updated)} updated", f"{len(self.unchanged)} unchanged"]
        if self.removed:
            parts.append(f"{len(self.removed)} removed")
        if self.duplicates:
            parts.append(f"{len(self.duplicates)} duplicate(s) in the input skipped")
        return ", ".join(parts) + f"; {self.chunks_written} chunks embedded in {self.seconds:.1f}s"


def classify(articles: list[Article], origin: str, known: dict, report: WriteReport,
             final: WriteReport | None = None) -> list[tuple[Article, str]]:
    """What to write; duplicates, unchanged articles and corpus/added collisions go to ``report``.

    Args:
        articles: the input, in order.
        origin: ``added`` or ``corpus``.
        known: :meth:`Registry.origins` as read now.
        report: where every outcome goes.
        final: for a first pass without the lock — duplicates, collisions and unchanged articles are
            final and go here; what is left to write is classified again, under the lock, later.
    """
    final = final or report
    todo: list[tuple[Article, str]] = []
    seen: set[str] = set()
    for article in articles:
        if article.id in seen:
            final.duplicates.append(article.id)
            continue
        seen.add(article.id)
        old = known.get(article.id)  # (content_hash, state, origin, source)
        if old and old[0] == article.content_hash and old[1] == INDEXED:
            final.unchanged.append(article.id)  # the very same article, whichever side it came from
        elif old and old[2] != origin:
            _collision(article, origin, old[3], final)
        else:
            todo.append((article, origin))
            (report.updated if old else report.added).append(article.id)
    return todo


def _collision(article: Article, origin: str, other_source: str, report: WriteReport) -> None:
    """An added article and a corpus article with one id: the one already there is kept, and the other named."""
    if origin == ORIGIN_ADDED:
        report.refused.append(LoaderError(article.source or article.id, (
            f"this article has the URL (id {article.id}) of the bundled article corpus/{other_source}; edit that "
            "file instead, or give this article another URL")))
    else:
        report.conflicts.append(
            f"corpus/{article.source}: an article added with `qa-bot add` ({other_source}) has the same URL "
            f"(id {article.id}); the added version is kept — `qa-bot remove {article.id}` to use the corpus file")
