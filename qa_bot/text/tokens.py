"""Word tokens, stopwords, accent folding and the light stemmer every stage matches words with."""

from __future__ import annotations

import re
import unicodedata

from qa_bot.text.verbs import base_form

_WORD = re.compile(r"[^\W_]+(?:['\u2019.-][^\W_]+)*", re.UNICODE)


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
    """A deliberately small fold that keeps names intact (``MOUs`` -> ``mou``, ``gave`` -> ``give``)."""
    word = word.replace("'s", "").rstrip("'")
    word = base_form(word)  # "gave" -> "give": irregular verbs
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word
