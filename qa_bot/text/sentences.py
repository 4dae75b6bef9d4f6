"""Sentence boundaries with exact character offsets into the text they come from."""

from __future__ import annotations

import re

# Words that end with a period without ending the sentence.
_ABBREVIATIONS = frozenset(
    """mr mrs ms dr prof rep reps sen gov gen lt col capt cmdr adm sgt st jr sr inc co corp ltd plc
    vs etc e.g i.e u.s u.k u.n a.m p.m no nos jan feb mar apr jun jul aug sep sept oct nov dec
    fig approx dept est vol op cf al""".split()
)
# A run of stops matches from its first character or not at all, so the look-behind changes no
# match; it spares a long run (5 MB of "....") from being re-tried at each of its characters.
_END = re.compile(r"""(?<![.!?])(?:[.!?]+["'\u201d\u2019)\]]*(?=\s)|[.!?]+["'\u201d\u2019)\]]*$)""")
_NON_SPACE = re.compile(r"\S")
_BLOCK_BREAK = re.compile(r"\n[ \t]*\n|\n(?=[ \t]*[-*\u2022#>] )")


def _is_abbreviation(text: str, dot: int) -> bool:
    """True when the period at ``dot`` belongs to an abbreviation, an initial or a number."""
    start = dot
    while start > 0 and (text[start - 1].isalnum() or text[start - 1] == "."):
        start -= 1
    token = text[start:dot].lower()
    if token in _ABBREVIATIONS or token.rstrip(".") in _ABBREVIATIONS:
        return True
    if len(token) == 1 and text[dot - 1].isupper():  # an initial: "Ana B. Silva"
        return True
    return "." in token and len(token) <= 6  # "U.S", "a.m"


def _blocks(text: str) -> list[tuple[int, int]]:
    """Paragraph-like blocks: split at blank lines, list items, and line ends after punctuation."""
    spans: list[tuple[int, int]] = []
    pos = 0
    cuts = [m.start() for m in _BLOCK_BREAK.finditer(text)]
    i = text.find("\n")
    while i >= 0:
        last = i  # the line before this newline ends at ``last``, its trailing spaces left out
        while last > 0 and text[last - 1] == " ":
            last -= 1
        line_start = text.rfind("\n", 0, last) + 1
        nxt = text[i + 1 : i + 2]
        short_line = last - line_start < 40 and (nxt.isupper() or nxt.isdigit())
        if last and (text[last - 1] in ".!?:;\"'\u201d\u2019)" or short_line):
            cuts.append(i)
        i = text.find("\n", i + 1)
    for cut in sorted(set(cuts)):
        spans.append((pos, cut))
        pos = cut + 1
    spans.append((pos, len(text)))
    return spans


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Split ``text`` into sentences, returned as ``(start, end)`` offsets with no edge whitespace.

    Every returned span satisfies ``text[start:end] == text[start:end].strip()`` and is non-empty.
    """
    spans: list[tuple[int, int]] = []
    for b_start, b_end in _blocks(text):
        pos = b_start
        for m in _END.finditer(text, b_start, b_end):
            end = m.end()
            if text[m.start()] == "." and m.end() - m.start() == 1 and _is_abbreviation(text, m.start()):
                continue
            nxt = _NON_SPACE.search(text, end, b_end)  # not text[end:b_end].lstrip(): a copy per sentence
            following = nxt[0] if nxt else ""
            if following and not (following.isupper() or following.isdigit() or following in "\"'\u201c\u2018(["):
                continue
            spans.append((pos, end))
            pos = end
        spans.append((pos, b_end))
    return [_strip(text, s, e) for s, e in spans if text[s:e].strip()]


def _strip(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end
