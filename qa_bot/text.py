"""Text helpers shared by the stages: sentence spans with exact offsets, word tokens."""

from __future__ import annotations

import re
import unicodedata

# Words that end with a period without ending the sentence.
_ABBREVIATIONS = frozenset(
    """mr mrs ms dr prof rep reps sen gov gen lt col capt cmdr adm sgt st jr sr inc co corp ltd plc
    vs etc e.g i.e u.s u.k u.n a.m p.m no nos jan feb mar apr jun jul aug sep sept oct nov dec
    fig approx dept est vol op cf al""".split()
)
_END = re.compile(r"""[.!?]+["'\u201d\u2019)\]]*(?=\s)|[.!?]+["'\u201d\u2019)\]]*$""")
_WORD = re.compile(r"[^\W_]+(?:['\u2019.-][^\W_]+)*", re.UNICODE)
_BLOCK_BREAK = re.compile(r"\n[ \t]*\n|\n(?=[ \t]*[-*\u2022#>] )")


def normalize_text(text: str) -> str:
    """Canonical article text: NFC, Unix newlines, no trailing spaces, at most one blank line.

    Zero-width and other invisible format characters are removed so that a quote a reader
    sees is the quote that is stored.
    """
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    text = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cf"))
    text = text.replace("\t", " ").replace("\u00a0", " ")
    lines = [re.sub(r"[ ]{2,}", " ", line).strip() for line in text.split("\n")]
    text = "\n".join(lines)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()


def _is_abbreviation(text: str, dot: int) -> bool:
    """True when the period at ``dot`` belongs to an abbreviation, an initial or a number."""
    start = dot
    while start > 0 and (text[start - 1].isalnum() or text[start - 1] == "."):
        start -= 1
    token = text[start:dot].lower()
    if token in _ABBREVIATIONS or token.rstrip(".") in _ABBREVIATIONS:
        return True
    if len(token) == 1 and text[dot - 1].isupper():  # an initial: "Kim D. Lee"
        return True
    return "." in token and len(token) <= 6  # "U.S", "a.m"


def _blocks(text: str) -> list[tuple[int, int]]:
    """Paragraph-like blocks: split at blank lines, list items, and line ends after punctuation."""
    spans: list[tuple[int, int]] = []
    pos = 0
    cuts = [m.start() for m in _BLOCK_BREAK.finditer(text)]
    for i, ch in enumerate(text):
        if ch == "\n":
            prev = text[:i].rstrip(" ")
            line_start = prev.rfind("\n") + 1
            nxt = text[i + 1 : i + 2]
            short_line = len(prev) - line_start < 40 and (nxt.isupper() or nxt.isdigit())
            if prev and (prev[-1] in ".!?:;\"'\u201d\u2019)" or short_line):
                cuts.append(i)
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
            following = text[end:b_end].lstrip()
            if following and not (following[0].isupper() or following[0].isdigit() or following[0] in "\"'\u201c\u2018(["):
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


def words(text: str) -> list[str]:
    """Lower-cased word tokens (letters and digits, keeping inner apostrophes, dots and hyphens)."""
    text = text.lower().replace("\u2019", "'")
    return _WORD.findall(text)


def fold(text: str) -> str:
    """Lower-case, accents removed, punctuation as spaces: the form used for matching strings."""
    text = unicodedata.normalize("NFKD", text.lower().replace("\u2019", "'"))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(re.findall(r"[^\W_]+", text))


STOPWORDS = frozenset(
    """a an the and or but if of at by for with about against between into through during before after
    above below to from up down in out on off over under again further then once here there when where why
    how all any both each few more most other some such no nor not only own same so than too very can will
    just should now is are was were be been being have has had having do does did doing would could might
    must shall may i me my we our you your he him his she her it its they them their what which who whom
    this that these those am as until while also said say says tell told did does according whose
    s t don didn doesn isn wasn weren""".split()
)


def content_words(text: str) -> list[str]:
    """Word tokens minus stopwords, with a light plural fold ("talks" -> "talk")."""
    out = []
    for raw in _WORD.findall(text.replace("\u2019", "'")):
        w = raw.lower()
        if w in STOPWORDS or len(w) < 2 and not w.isdigit():
            continue
        if len(raw) > 2 and raw[-1] == "s" and raw[:-1].isupper():  # acronym plurals: MOUs -> mou
            out.append(w[:-1])
            continue
        out.append(stem(w))
    return out


def stem(word: str) -> str:
    """A deliberately small suffix fold that keeps names intact (``MOUs`` -> ``mou``)."""
    word = word.replace("'s", "").rstrip("'")
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


_CITATION_LOOKALIKE = re.compile(r"\[(\s*(?:source|sources|passages?|ref)?\s*:?\s*\d{1,3}(?:\s*[,;–-]\s*\d{1,3})*\s*)\]|"
                                 r"\[(\s*source\s*:[^\]\n]{0,200})\]", re.I)


def defuse_citation_markers(text: str) -> str:
    """``text`` (from an article) with anything that looks like one of our ``[n]`` citation markers
    shown in fullwidth brackets (``［7］``), so an article's own "[7]" or "[Source: …]" cannot pass
    for a citation when its sentence is quoted in an answer. The exact quote stays on the citation."""
    return _CITATION_LOOKALIKE.sub(lambda m: f"［{m.group(1) or m.group(2)}］", text)
