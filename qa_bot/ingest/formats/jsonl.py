"""JSONL bulk files: one article per line, all checked before any is accepted."""

from __future__ import annotations

import json
from collections.abc import Iterator

from qa_bot.errors import LoaderError
from qa_bot.ingest.article import make_article
from qa_bot.models import Article

_JSONL_KEYS = {"id", "title", "text", "url", "published", "outlet", "author", "source", "section", "note"}


def iter_jsonl(raw: str, source: str) -> Iterator[Article]:
    """Articles from a JSONL bulk file. All lines are checked first: one bad line refuses the file.

    Raises:
        LoaderError: naming every bad line (up to ten shown) and why, so nothing is silently dropped.
    """
    articles: list[Article] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    for lineno, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{source} line {lineno}"
        try:
            record = json.loads(line)
            if not isinstance(record, dict):
                raise LoaderError(where, "is not a JSON object")
            if not str(record.get("text") or "").strip():
                raise LoaderError(where, "has no 'text'")
            unknown = set(record) - _JSONL_KEYS
            extra = {k: record[k] for k in ("section", "note") if k in record}
            if unknown:
                extra.update({k: record[k] for k in unknown if isinstance(record[k], (str, int, float))})
            art = make_article(
                text=str(record["text"]),
                source=f"{source}#{lineno}",
                title=record.get("title") or "",
                outlet=record.get("outlet") or "",
                url=record.get("url") or "",
                published=record.get("published"),
                author=record.get("author") or "",
                id=record.get("id"),
                extra=extra,
            )
            if art.id in seen:
                raise LoaderError(where, f"repeats the id {art.id} of line {seen[art.id]}")
            seen[art.id] = lineno
            articles.append(art)
        except json.JSONDecodeError as err:
            problems.append(f"line {lineno}: not valid JSON ({err.msg})")
        except LoaderError as err:
            problems.append(f"line {lineno}: {err.reason}")
    if problems:
        shown = "; ".join(problems[:10]) + (f"; and {len(problems) - 10} more" if len(problems) > 10 else "")
        raise LoaderError(source, f"{len(problems)} bad line(s), nothing imported: {shown}")
    if not articles:
        raise LoaderError(source, "the JSONL file has no records")
    yield from articles
