"""Display-agnostic helpers for the Streamlit app: the bot factory, safe Markdown, source views,
conversation export, filters and the tables of the corpus and evals pages.

Nothing here imports Streamlit, so every rule about what reaches the screen is a pure function
with its own tests. Corpus text, quotes, titles, outlets, answers and error messages are
untrusted: they reach the screen only through :func:`escape_markdown`, which turns every piece
of Markdown syntax Streamlit understands (links, images, HTML, ``:color[...]`` directives, ``$``
math, emoji and icon shortcodes, autolinked URLs, typographic arrows) into inert literal text.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import math
import os
import re
import string
import tempfile
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from urllib.parse import quote, urlsplit

from qa_bot.errors import ConfigError, InputError
from qa_bot.models import Answer, Citation, Hit
from qa_bot.retrieval.retriever import Filters

#: Environment variable naming the bot factory as ``module:function`` (tests use a fast fake).
FACTORY_ENV = "QA_BOT_APP_FACTORY"
DEFAULT_FACTORY = "app_pages.ui:default_bot"
REPO_ROOT = Path(__file__).resolve().parent.parent
EVAL_DIR = REPO_ROOT / "eval"

# ---------------------------------------------------------------- the bot factory


def default_bot():
    """The production bot: settings from ``QA_BOT_*`` variables, the packaged embedding model."""
    from qa_bot.bot import QABot

    return QABot()


def bot_cache_key() -> tuple[tuple[str, str], ...]:
    """What the shared bot depends on (the factory and every ``QA_BOT_*`` variable), for the cache key."""
    return tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("QA_BOT_")))


def make_bot(spec: str | None = None):
    """Build the bot with the factory named by ``spec`` or ``$QA_BOT_APP_FACTORY``.

    Raises:
        ConfigError: the spec is not ``module:function`` or does not name a callable.
    """
    spec = spec or os.environ.get(FACTORY_ENV) or DEFAULT_FACTORY
    module_name, _, func_name = spec.partition(":")
    if not module_name or not func_name:
        raise ConfigError(f"{FACTORY_ENV}={spec!r} is not of the form 'module:function'")
    try:
        factory = getattr(importlib.import_module(module_name), func_name)
    except (ImportError, AttributeError) as err:
        raise ConfigError(f"{FACTORY_ENV}={spec!r} cannot be loaded ({err}); fix or unset it") from None
    if not callable(factory):
        raise ConfigError(f"{FACTORY_ENV}={spec!r} is not a function")
    return factory()


# ---------------------------------------------------------------- safe Markdown

_PUNCT = frozenset(string.punctuation)
_WJ = "\u2060"  # WORD JOINER: invisible, and breaks the patterns Streamlit rewrites in plain text
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_ARROW_FIRST, _ARROW_SECOND = frozenset("-<>~"), frozenset("-<>=")


class MarkdownEscaper:
    """Escapes text for Streamlit Markdown, piece by piece: ``feed(a) + feed(b)`` equals escaping ``a + b``.

    That property lets a streamed answer be escaped as it arrives. Rules:
    every ASCII punctuation character is backslash-escaped (no links, images, HTML, emphasis, code,
    ``$`` math, ``:directive[...]``, lists or headings can form); leading spaces of a line are dropped
    (no indented code blocks); control and bidi-override characters are removed; and an invisible
    word joiner breaks the patterns Streamlit rewrites *after* parsing: ``:shortcodes:`` and
    ``:material/icons:``, URL and e-mail autolinks (``https://``, ``www.``, ``@``) and the arrows
    ``->``/``<-``/``--``/``>=``/``<=``/``~=``.
    """

    def __init__(self) -> None:
        self._line_start = True
        self._prev = ""
        self._tail = ""  # the last three characters, to spot "www."

    def feed(self, text: str) -> str:
        """Escape the next piece of the text."""
        out: list[str] = []
        for ch in str(text):
            if ch in "\r\n":
                if not (ch == "\n" and self._prev == "\r"):  # "\r\n" is one line break
                    out.append("\n")
                self._line_start, self._prev, self._tail = True, ch, ""
                continue
            if ch in _BIDI:
                continue
            if unicodedata.category(ch) == "Cc":  # tabs and other control characters
                ch = " "
            if self._line_start and ch == " ":
                continue
            self._line_start = False
            if (self._prev == ":" and not ch.isspace()) or ch == "@" or \
                    (self._prev in _ARROW_FIRST and ch in _ARROW_SECOND) or \
                    (ch == "." and self._tail.lower() == "www"):
                out.append(_WJ)
            out.append("\\" + ch if ch in _PUNCT else ch)
            self._prev = ch
            self._tail = (self._tail + ch)[-3:]
        return "".join(out)


def escape_markdown(text: str) -> str:
    """``text`` as inert Markdown: shown literally, nothing in it can format, link or embed."""
    return MarkdownEscaper().feed(text)


def safe_url(url: str | None) -> str | None:
    """``url`` fit to link to (absolute http/https, a host, no credentials or spaces), else None."""
    if not url or not isinstance(url, str):
        return None
    url = url.strip()
    if any(ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf") or ch in "\\<>\"`" for ch in url):
        return None
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not host or "@" in parts.netloc:
        return None
    return quote(url, safe=":/?#[]!$&'*+,;=%-._~@")  # encodes ( ) so the Markdown link cannot end early


def markdown_link(text: str, url: str | None) -> str:
    """Escaped ``text``, linked to ``url`` only when it is a safe http(s) URL."""
    target = safe_url(url)
    label = escape_markdown(text) or escape_markdown(url or "link")
    return f"[{label}]({target})" if target else label


def highlight_markdown(text: str, start: int, end: int, color: str = "yellow") -> str:
    """``text`` escaped, with ``text[start:end]`` in bold on a coloured background (one highlight per line)."""
    start, end = max(0, min(start, len(text))), max(0, min(end, len(text)))
    start, end = min(start, end), max(start, end)
    esc = MarkdownEscaper()
    parts = [esc.feed(text[:start])]
    for i, line in enumerate(text[start:end].split("\n")):
        if i:
            parts.append(esc.feed("\n"))
        lead = line[: len(line) - len(line.lstrip())]
        body = line.strip()
        parts.append(esc.feed(lead))
        if body:
            # The escaper keeps its state across the span, so the highlight cannot change how the
            # text around it is escaped; trailing spaces are outside the directive's brackets.
            parts.append(f":{color}-background[**{esc.feed(body)}**]")
        parts.append(esc.feed(line[len(lead) + len(body):]))
    parts.append(esc.feed(text[end:]))
    return "".join(parts)


def export_escape(text: str) -> str:
    """Light escaping for the Markdown export, on one line: prose stays readable, while links, images,
    HTML, emphasis, headings and list markers cannot form."""
    flat = "".join("\\" + ch if ch in "\\`*_[]<>!|$#" else ch for ch in " ".join(str(text).split()))
    return re.sub(r"^(\d*)([-+=.)])", r"\1\\\2", flat) if re.match(r"^([-+=]|\d+[.)])", flat) else flat


# ---------------------------------------------------------------- sources


@dataclass(frozen=True)
class Snippet:
    """Text with one highlighted span: ``text[start:end]`` is the quote."""

    text: str
    start: int
    end: int
    cut_before: bool = False
    cut_after: bool = False

    def markdown(self) -> str:
        body = highlight_markdown(self.text, self.start, self.end)
        return ("… " if self.cut_before else "") + body + (" …" if self.cut_after else "")

    @property
    def quote(self) -> str:
        return self.text[self.start:self.end]


def window(text: str, start: int, end: int, context: int = 400) -> Snippet:
    """The span ``text[start:end]`` with up to ``context`` characters either side, kept within its
    paragraph (blank-line separated) and cut at spaces; ``cut_before``/``cut_after`` say whether
    the text goes on beyond the window inside the same paragraph."""
    lo, hi = max(0, start - context), min(len(text), end + context)
    brk = text.rfind("\n\n", lo, start)
    if brk != -1:
        lo = brk + 2
    elif lo > 0:
        space = text.find(" ", lo, start)
        lo = space + 1 if space != -1 else lo
    brk = text.find("\n\n", end, hi)
    if brk != -1:
        hi = brk
    elif hi < len(text):
        space = text.rfind(" ", end, hi)
        hi = space if space != -1 else hi
    return Snippet(text[lo:hi], start - lo, end - lo, lo > 0 and not text[:lo].endswith("\n\n"),
                   hi < len(text) and not text[hi:].startswith("\n\n"))


@dataclass(frozen=True)
class SourceView:
    """Everything shown for one source: numbered citation or retrieved passage."""

    n: int
    article_id: str
    title: str
    outlet: str
    published: str
    url: str | None
    snippet: Snippet
    start: int  # offsets of the highlighted span in the article
    end: int
    cited: bool = True  # False for a retrieved passage shown after an abstention

    def heading_markdown(self) -> str:
        """``**[n]** Outlet · date · linked title`` (``**n.**`` for a passage), all escaped."""
        bits = [escape_markdown(b) for b in (self.outlet, self.published) if b]
        bits.append(markdown_link(self.title or "Untitled", self.url))
        number = f"\\[{self.n}\\]" if self.cited else f"{self.n}\\."
        return f"**{number}** " + " · ".join(bits)


def citation_views(answer: Answer, context: int = 240) -> list[SourceView]:
    """One view per citation: the quote highlighted inside the passage it was taken from.

    Args:
        answer: the answer whose citations to show.
        context: characters of the passage kept either side of the quote.
    """
    passages = {h.passage.chunk_id: h.passage for h in answer.hits}
    views = []
    for c in answer.citations:
        views.append(SourceView(c.n, c.article_id, c.title, c.outlet, c.published, safe_url(c.url),
                                _citation_snippet(c, passages.get(c.chunk_id), context), c.start, c.end))
    return views


def _citation_snippet(c: Citation, passage, context: int) -> Snippet:
    if passage is not None and c.quote:
        rel = c.start - passage.start
        if passage.text[rel:rel + len(c.quote)] != c.quote:
            rel = passage.text.find(c.quote)
        if rel >= 0:
            return window(passage.text, rel, rel + len(c.quote), context)
    return Snippet(c.quote, 0, len(c.quote))


def passage_views(hits: Sequence[Hit], limit: int = 5, length: int = 400) -> list[SourceView]:
    """The closest passages (shown when the bot abstains): numbered by rank, nothing highlighted,
    each cut to about ``length`` characters."""
    views = []
    for i, h in enumerate(hits[:limit], start=1):
        p = h.passage
        views.append(SourceView(i, p.article_id, p.title, p.outlet, p.published, safe_url(p.url),
                                window(p.text, 0, 0, length), p.start, p.start, cited=False))
    return views


# ---------------------------------------------------------------- conversation


def history_for_library(turns: Iterable[dict]) -> list[dict[str, str]]:
    """Earlier turns as the library takes them; an abstention contributes its question only."""
    return [{"question": t["question"], "answer": "" if t["answer"].abstained else t["answer"].text} for t in turns]


def conversation_json(turns: Sequence[dict], now: datetime | None = None) -> str:
    """The conversation as JSON: each turn's question and the ``ask --json`` shape of its answer."""
    stamp = (now or datetime.now(timezone.utc)).isoformat(timespec="seconds")
    return json.dumps({"exported_at": stamp,
                       "turns": [dict(t["answer"].to_dict(), question=t["question"]) for t in turns]},
                      ensure_ascii=False, indent=2)


def conversation_markdown(turns: Sequence[dict], now: datetime | None = None) -> str:
    """The conversation as a Markdown document with every citation's source and quote."""
    stamp = (now or datetime.now(timezone.utc)).strftime("%Y-%m-%d %H:%M UTC")
    lines = ["# qa-bot conversation", "", f"Exported {stamp}.", ""]
    for i, t in enumerate(turns, start=1):
        answer: Answer = t["answer"]
        lines += [f"## {i}. {export_escape(t['question'])}", "", export_escape(answer.text), ""]
        if answer.citations:
            lines += ["Sources:", ""]
            for c in answer.citations:
                where = ", ".join(export_escape(b) for b in (c.outlet, c.published) if b)
                title = export_escape(c.title or "Untitled")
                link = f" <{safe_url(c.url)}>" if safe_url(c.url) else ""
                lines += [f"- \\[{c.n}\\] {where}: *{title}*{link}", f"  > {export_escape(c.quote)}"]
            lines.append("")
        elif answer.abstained and answer.hits:
            lines += ["Closest passages:", ""]
            lines += [f"- {export_escape(h.passage.outlet)}: *{export_escape(h.passage.title)}*"
                      for h in answer.hits[:5]]
            lines.append("")
    return "\n".join(lines)


def make_filters(outlets: Sequence[str] = (), dates: Sequence[date] | date | None = ()) -> Filters:
    """Filters from the sidebar: chosen outlets and a 0-, 1- or 2-date range (one date: that day on)."""
    if isinstance(dates, date):
        dates = (dates,)
    dates = tuple(d for d in (dates or ()) if d)
    since = dates[0] if dates else None
    until = dates[1] if len(dates) > 1 else None
    try:
        return Filters(tuple(outlets), since, until)
    except ValueError as err:
        raise InputError(str(err)) from None


def date_bounds(published: Iterable[date | None]) -> tuple[date, date] | None:
    """The earliest and latest publication dates, or None when no article has one."""
    days = [d for d in published if d]
    return (min(days), max(days)) if days else None


# ---------------------------------------------------------------- corpus page


def article_rows(records: Iterable, query: str = "") -> list[dict]:
    """Table rows for the corpus manager, filtered by ``query`` (title, outlet, id, source or URL)."""
    q = query.strip().lower()
    rows = []
    for r in records:
        a = r.article
        row = {"title": a.title, "outlet": a.outlet, "published": a.published, "chunks": r.n_chunks,
               "source": a.source or r.origin, "origin": r.origin, "url": safe_url(a.url), "id": a.id}
        if not q or any(q in str(v).lower() for v in (a.title, a.outlet, a.id, a.source, a.url, a.author)):
            rows.append(row)
    return rows


def article_label(article) -> str:
    """One line naming an article (plain text, for option lists): ``Title — Outlet, 2026-01-05``."""
    where = ", ".join(b for b in (article.outlet, article.published and article.published.isoformat()) if b)
    title = " ".join((article.title or "Untitled").split())
    return f"{title[:100]} — {where}" if where else title[:100]


def add_messages(result, limit: int = 5) -> list[tuple[str, str]]:
    """``(kind, Markdown)`` lines for an ``AddResult``: ``success``/``info`` per article (one summary
    line past ``limit`` articles) and one ``error`` per refused input, all escaped."""
    titles = {a.id: a.title for a in result.articles}
    report, out = result.report, []
    for kind, one, many, ids in (
            ("success", "Added “{}”.", "Added {:,} articles.", report.added),
            ("success", "Updated “{}”.", "Updated {:,} articles.", report.updated),
            ("info", "“{}” is already in the index, unchanged.",
             "{:,} articles were already in the index, unchanged.", report.unchanged)):
        if len(ids) > limit:
            out.append((kind, many.format(len(ids))))
        else:
            out += [(kind, one.format(escape_markdown(titles.get(aid) or aid))) for aid in ids]
    out += [("error", escape_markdown(str(err))) for err in result.errors]
    return out


def progress_state(done: int, total: int, label: str) -> tuple[float, str]:
    """A progress bar's fraction and text (escaped) for a ``progress(done, total, label)`` callback."""
    frac = min(1.0, max(0.0, done / total)) if total else 0.0
    return frac, escape_markdown(f"{label}: {done:,} of {total:,}" if total else label)


# ---------------------------------------------------------------- evals page


def bundled_gold_sets(folder: Path = EVAL_DIR) -> list[Path]:
    """The gold sets shipped in ``eval/`` (they may be added while the app runs)."""
    return sorted(p for p in Path(folder).glob("*.jsonl") if p.is_file()) if Path(folder).is_dir() else []


def read_gold_upload(data: bytes, filename: str, folder: Path | None = None):
    """Validate an uploaded gold set; returns ``(path, items)``.

    The bytes are saved under a name made from their hash (never the uploaded name) so the run
    can hash the file like any other dataset.

    Raises:
        InputError: not UTF-8 JSONL, or a bad item (message names the line, not the temp path).
    """
    from qa_bot.evaluation.dataset import load_gold

    digest = hashlib.sha256(data).hexdigest()[:16]
    folder = Path(folder or tempfile.gettempdir()) / "qa-bot-gold-uploads"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"gold-{digest}.jsonl"
    path.write_bytes(data)
    display = Path(str(filename).replace("\\", "/")).name or "upload.jsonl"
    try:
        return path, load_gold(path)
    except InputError as err:
        raise InputError(str(err).replace(str(path), display)) from None


#: Headline metrics shown on the evals page: key, label, format ("pct" or "ms").
HEADLINE = (("pass_rate", "Pass rate", "pct"), ("answer_recall", "Answer recall", "pct"),
            ("citation_precision", "Citation precision", "pct"), ("evidence_recall_at_5", "Evidence recall@5", "pct"),
            ("abstention_accuracy", "Abstention accuracy", "pct"),
            ("false_abstention_rate", "False abstentions", "pct"), ("latency_p50_ms", "Latency p50", "ms"),
            ("latency_p95_ms", "Latency p95", "ms"))
BY_TYPE_METRICS = (("pass_rate", "pass rate"), ("answer_recall", "answer recall"),
                   ("citation_precision", "citation precision"))


def format_metric(value, kind: str) -> str:
    """``83.0%``, ``41 ms`` or ``n/a`` for a missing or NaN value."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value * 100:.1f}%" if kind == "pct" else f"{value:,.0f} ms"


def headline_metrics(metrics: dict) -> list[tuple[str, str]]:
    """``(label, formatted value)`` for the headline metrics."""
    return [(label, format_metric(metrics.get(key), kind)) for key, label, kind in HEADLINE]


def by_type_rows(by_type: dict[str, dict]) -> list[dict]:
    """Long-form rows ``{type, metric, value, questions}`` for the per-question-type chart (NaN dropped)."""
    rows = []
    for kind, m in sorted(by_type.items()):
        for key, label in BY_TYPE_METRICS:
            value = m.get(key)
            if value is not None and not (isinstance(value, float) and math.isnan(value)):
                rows.append({"type": kind, "metric": label, "value": float(value), "questions": m.get("questions", 0)})
    return rows


def record_rows(records: Iterable, failures_only: bool = False) -> list[dict]:
    """Per-question table rows: question, expected, answer, citations, pass/fail, latency."""
    rows = []
    for r in records:
        if failures_only and r.passed:
            continue
        expected = " | ".join(r.references) if r.answerable else "(should abstain)"
        cites = "; ".join(f"[{c['n']}] {c.get('outlet', '')}: {c.get('title', '')}" for c in r.citations)
        rows.append({"id": r.id, "type": r.type, "question": r.question, "expected": expected,
                     "answer": "(abstained)" if r.abstained else r.answer, "citations": cites,
                     "result": "pass" if r.passed else "fail", "latency_ms": round(r.latency_ms, 1)})
    return rows
