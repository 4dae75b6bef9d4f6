"""Markdown with optional YAML front matter holding the article's metadata."""

from __future__ import annotations

import re

import yaml

from qa_bot.errors import LoaderError
from qa_bot.ingest.article import make_article
from qa_bot.models import Article

MAX_FRONT_MATTER = 20_000

# Markup patterns. Each one is the plain pattern in its comment plus a fallback branch (the
# ``close`` group is then unset): where the plain pattern fails, the fallback consumes the stretch that
# every later candidate would also scan and fail on, and the stretch is kept as it is. The plain
# patterns re-scan that stretch from each candidate: quadratic on 100 KB of "[" or of " *a".
_IMAGE = re.compile(r"!\[[^\]]*(?:\](?:\([^)]*(?P<close>\))?)?)?")  # !\[[^\]]*\]\([^)]*\)
_LINK = re.compile(r"\[(?:\]|(?P<words>[^\]]+)(?:\](?:\([^)]*(?P<close>\))?)?)?)")  # \[([^\]]+)\]\([^)]*\)
_TAG = re.compile(r"<[^>\n]*(?P<close>>)?")  # <[^>\n]+>
_STRONG = re.compile(r"(?P<mark>\*\*|__)(?:(?P<words>.+?)(?P<close>(?P=mark))|.*)")  # (\*\*|__)(.+?)\1
_STRONG_ONLY = {mark: re.compile(rf"{re.escape(mark)}(?:(?P<words>.+?)(?P<close>{re.escape(mark)})|.*)")
                for mark in ("**", "__")}
_EMPHASIS = re.compile(  # (?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])
    r"(?<![\w*])\*(?!\s)(?:(?P<words>.+?)(?<!\s)(?P<close>\*)(?![\w*])|.*)")


class _FrontMatterLoader(yaml.SafeLoader):
    """YAML's safe loader, except that dates and times stay text: :func:`~qa_bot.ingest.article.parse_date`
    checks them and says what is wrong (YAML's own conversion fails with a bare error on a date such as
    2026-02-30, year 0 or an offset of +99:00)."""


_FrontMatterLoader.yaml_implicit_resolvers = {
    key: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


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
        meta = yaml.load(m.group(1), Loader=_FrontMatterLoader) or {}
    except yaml.YAMLError as err:
        line = getattr(getattr(err, "problem_mark", None), "line", None)
        where = f" (line {line + 2})" if line is not None else ""
        raise LoaderError(source, f"front matter is not valid YAML{where}; fix the header") from None
    except RecursionError:
        raise LoaderError(source, "front matter nests lists or mappings too deeply; write plain key: value "
                                  "pairs") from None
    if not isinstance(meta, dict):
        raise LoaderError(source, "front matter must be key: value pairs")
    return meta, m.group(2)


def markdown_to_text(body: str) -> str:
    """Plain readable text from Markdown: links keep their words, images and markup go."""
    body = re.sub(r"```.*?```", "", body, flags=re.S)
    body = _IMAGE.sub(lambda m: "" if m["close"] else m[0], body)
    body = _LINK.sub(lambda m: m["words"] if m["close"] else m[0], body)
    body = _TAG.sub(lambda m: "" if m["close"] and len(m[0]) > 2 else m[0], body)
    body = re.sub(r"^[ \t]{0,3}#{1,6}[ \t]+", "", body, flags=re.M)
    body = re.sub(r"^[ \t]*>[ \t]?", "", body, flags=re.M)
    body = _STRONG.sub(_strong, body)
    body = _EMPHASIS.sub(lambda m: m["words"] if m["close"] else m[0], body)
    body = re.sub(r"`([^`]+)`", r"\1", body)
    return body


def _strong(m: re.Match) -> str:
    if m["close"]:
        return m["words"]
    # This delimiter has no closer left on the line; the other one may still pair up there.
    other = _STRONG_ONLY["__" if m["mark"] == "**" else "**"]
    return m["mark"] + other.sub(lambda n: n["words"] if n["close"] else n[0], m[0][2:])


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
