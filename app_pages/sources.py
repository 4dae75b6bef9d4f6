"""Source views: the passage around a cited quote, and the closest passages after an abstention."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from app_pages.markdown import escape_markdown, highlight_markdown, markdown_link, safe_url
from qa_bot.models import Answer, Citation, Hit


_EDGE_PUNCTUATION = " .,;:!?\"'\u201c\u201d\u2018\u2019()"


@dataclass(frozen=True)
class Snippet:
    """Text with one highlighted span: ``text[start:end]`` is the quote."""

    text: str
    start: int
    end: int
    cut_before: bool = False
    cut_after: bool = False
    focus: tuple[int, int] | None = None  # the short answer inside the quote, in another colour

    def markdown(self) -> str:
        """The snippet as safe Markdown, the quote highlighted, ``…`` where the paragraph goes on."""
        body = highlight_markdown(self.text, self.start, self.end)
        if self.focus and self.start <= self.focus[0] < self.focus[1] <= self.end:
            fs, fe = self.focus
            # punctuation alone between the focus and the quote's edge goes with the focus: a full stop
            # highlighted on its own after "15 MOUs" floats by itself
            fs = self.start if not self.text[self.start:fs].strip(_EDGE_PUNCTUATION) else fs
            fe = self.end if not self.text[fe:self.end].strip(_EDGE_PUNCTUATION) else fe
            body = (highlight_markdown(self.text[:fs], self.start, fs)
                    + highlight_markdown(self.text[fs:fe], 0, fe - fs, color="orange")
                    + highlight_markdown(self.text[fe:], 0, self.end - fe))
        return ("… " if self.cut_before else "") + body + (" …" if self.cut_after else "")

    @property
    def quote(self) -> str:
        """The highlighted span's text."""
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
    short = answer.short_answer
    views = []
    for c in answer.citations:
        snippet = _citation_snippet(c, passages.get(c.chunk_id), context)
        if short is not None and short.citation == c.n and c.start <= short.start < short.end <= c.end:
            at = snippet.start + short.start - c.start  # the short answer, highlighted inside its quote
            snippet = replace(snippet, focus=(at, at + short.end - short.start))
        views.append(SourceView(c.n, c.article_id, c.title, c.outlet, c.published, safe_url(c.url),
                                snippet, c.start, c.end))
    return views


def disagreement_markdown(answer: Answer) -> list[str]:
    """One safe Markdown block per disagreement: what differs, then each value with its citations.

    A disagreement the answer's own text already states (one of its sentences names every value, as the
    extractive answer's "Outlets differ: ..." does) gets no block: it is said once.
    """
    blocks = []
    for d in answer.disagreements:
        if any(all(v.value in s.text for v in d.values) for s in answer.sentences):
            continue
        lines = [f"**Sources differ on {escape_markdown(d.about or 'this figure')}:**"]
        for v in d.values:
            lines.append(f"- {escape_markdown(v.value)} " + " ".join(f"\\[{n}\\]" for n in v.citations))
        blocks.append("\n".join(lines))
    return blocks


def _citation_snippet(c: Citation, passage, context: int) -> Snippet:
    # The quote inside its passage when the passage is at hand (found by offset, else by text);
    # otherwise the bare quote, still highlighted.
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
