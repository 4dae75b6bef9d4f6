"""Safe Markdown for the Streamlit app: escaping, links, highlights.

Corpus text, quotes, titles, outlets, answers and error messages are untrusted: they reach the
screen only through :func:`escape_markdown`, which turns every piece of Markdown syntax Streamlit
understands (links, images, HTML, ``:color[...]`` directives, ``$`` math, emoji and icon
shortcodes, autolinked URLs, typographic arrows) into inert literal text — and adds no character to
it, visible or invisible, so what a reader copies from the screen is the text itself. Nothing here
imports Streamlit, so every rule about what reaches the screen is a pure function with its own tests.
"""

from __future__ import annotations

import re
import string
import unicodedata
from urllib.parse import quote, urlsplit

_PUNCT = frozenset(string.punctuation)
# An empty Streamlit ``:small[]`` directive renders as an empty element: no text, so nothing extra is
# copied, yet it splits the text node, and Streamlit's autolinks and arrows match within one text node.
BREAK = ":small[]"
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_ARROW_FIRST, _ARROW_SECOND = frozenset("-<>~"), frozenset("-<>=")


class MarkdownEscaper:
    """Escapes text for Streamlit Markdown, piece by piece: ``feed(a) + feed(b)`` equals escaping ``a + b``.

    That property lets a streamed answer be escaped as it arrives. Rules:
    every ASCII punctuation character is backslash-escaped (no links, images, HTML, emphasis, code,
    ``$`` math, ``:directive[...]``, ``:shortcodes:``, lists or headings can form); leading spaces of a
    line are dropped (no indented code blocks); control and bidi-override characters are removed; and
    an empty directive (:data:`BREAK`, which shows nothing) splits the patterns Streamlit rewrites
    *after* parsing, where escapes no longer count: URL and e-mail autolinks (``https://``, ``www.``,
    ``@``) and the arrows ``->``/``<-``/``--``/``>=``/``<=``/``~=``. No invisible character is added.
    """

    def __init__(self) -> None:
        self._line_start = True
        self._prev = ""
        self._tail = ""  # the last five characters, to spot "www." and "https:"

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
            tail = self._tail.lower()
            if ch == "@" or (self._prev in _ARROW_FIRST and ch in _ARROW_SECOND) or \
                    (ch == "." and tail.endswith("www")) or (ch == ":" and tail.endswith(("http", "https"))):
                out.append(BREAK)
            out.append("\\" + ch if ch in _PUNCT else ch)
            self._prev = ch
            self._tail = (self._tail + ch)[-5:]
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


def export_escape(text: str, markers: bool = False) -> str:
    """Light escaping for the Markdown export, on one line: prose stays readable, while links, images,
    HTML, emphasis, headings and list markers cannot form. With ``markers``, citation markers such as
    ``[1]`` stay as written (the character after one is escaped, so it cannot become a link)."""
    flat = "".join("\\" + ch if ch in "\\`*_[]<>!|$#" else ch for ch in " ".join(str(text).split()))
    if re.match(r"^([-+=]|\d+[.)])", flat):
        flat = re.sub(r"^(\d*)([-+=.)])", r"\1\\\2", flat)
    if markers:
        flat = re.sub(r"\\\[(\d{1,3})\\\]([(:]?)", lambda m: f"[{m[1]}]" + ("\\" + m[2] if m[2] else ""), flat)
    return flat
