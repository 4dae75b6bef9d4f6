"""Markdown with optional YAML front matter holding the article's metadata."""

from __future__ import annotations

import re

import yaml

from qa_bot.errors import LoaderError
from qa_bot.ingest.article import make_article
from qa_bot.models import Article

MAX_FRONT_MATTER = 20_000


def split_front_matter(raw: str, source: str) -> tuple[dict, str]:
    """Split ``---`` YAML front matter from a Markdown body; a file without it has empty metadata.

    Returns:
        ``(metadata, body)``.

    Raises:
        LoaderError: an unclosed, oversized or invalid header, YAML anchors/aliases, or one
            that is not ``key: value`` pairs.
    """
    if not raw.lstrip().startswith("---"):
        return {}, raw
    m = re.match(r"\s*---[ \t]*\n(.*?)\n---[ \t]*(?:\n|$)(.*)", raw, re.S)
    if not m:
        raise LoaderError(source, "front matter starts with '---' but has no closing '---' line")
    if len(m.group(1)) > MAX_FRONT_MATTER:
        raise LoaderError(source, f"front matter is over {MAX_FRONT_MATTER // 1000} KB; keep it to the article's metadata")
    if re.search(r"(^|[\s\[{,:-])[&*][A-Za-z0-9_-]+", m.group(1)):
        raise LoaderError(source, "front matter uses YAML anchors or aliases (& or *); write plain key: value pairs")
    try:
        meta = yaml.safe_load(m.group(1)) or {}
    except yaml.YAMLError as err:
        line = getattr(getattr(err, "problem_mark", None), "line", None)
        where = f" (line {line + 2})" if line is not None else ""
        raise LoaderError(source, f"front matter is not valid YAML{where}; fix the header") from None
    if not isinstance(meta, dict):
        raise LoaderError(source, "front matter must be key: value pairs")
    return meta, m.group(2)


def markdown_to_text(body: str) -> str:
    """Plain readable text from Markdown: links keep their words, images and markup go."""
    body = re.sub(r"```.*?```", "", body, flags=re.S)
    body = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", body)
    body = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", body)
    body = re.sub(r"<[^>\n]+>", "", body)
    body = re.sub(r"^[ \t]{0,3}#{1,6}[ \t]+", "", body, flags=re.M)
    body = re.sub(r"^[ \t]*>[ \t]?", "", body, flags=re.M)
    body = re.sub(r"(\*\*|__)(.+?)\1", r"\2", body)
    body = re.sub(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])", r"\1", body)
    body = re.sub(r"`([^`]+)`", r"\1", body)
    return body


def load_markdown(raw: str, source: str) -> Article:
    """Markdown with optional YAML front matter (``title``, ``outlet``, ``url``, ``published``, ``author``).

    Other front-matter keys are kept as the article's ``extra`` metadata.

    Raises:
        LoaderError: bad front matter (see :func:`split_front_matter`) or fields
            :func:`~qa_bot.ingest.article.make_article` refuses.
    """
    meta, body = split_front_matter(raw, source)
    known = {k: meta.get(k) for k in ("title", "outlet", "url", "published", "author", "id")}
    extra = {k: v for k, v in meta.items() if k not in known}
    return make_article(text=markdown_to_text(body), source=source, extra=extra, **known)
