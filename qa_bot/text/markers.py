"""Citation markers: the one place that knows what an ``[n]`` marker looks like.

Three forms meet here, from strictest to loosest:

* the marker the bot writes into an answer, exactly `` [n]`` (:func:`format_markers`,
  :func:`strip_markers`);
* a marker as a language model writes one: ``[2]``, ``[1, 3]``, ``[Passage 2]`` (:func:`marker_numbers`,
  :func:`remove_markers`, :func:`leading_markers`);
* anything in an *article* a reader could take for one of ours, ``[7]`` or ``[Source: Wire]``
  (:func:`defuse_citation_markers`), which covers both forms above so an article's text can never
  carry a marker into an answer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# An answer's own marker: the bot writes " [n]" and nothing else.
_ANSWER_MARKER = re.compile(r"\s*\[\d+\]")
# A model's marker: one or more passage numbers, optionally after "passage(s)".
_NUMBERS = r"\d{1,3}(?:\s*[,;]\s*\d{1,3})*"
_MODEL_MARKER = re.compile(rf"\s*\[(?:passages?\s*)?({_NUMBERS})\]", re.I)
_LEADING_MODEL_MARKERS = re.compile(rf"^(?:\s*\[(?:passages?\s*)?{_NUMBERS}\])+", re.I)
_CITATION_LOOKALIKE = re.compile(r"\[(\s*(?:source|sources|passages?|ref)?\s*:?\s*\d{1,3}(?:\s*[,;–-]\s*\d{1,3})*\s*)\]|"
                                 r"\[(\s*source\s*:[^\]\n]{0,200})\]", re.I)


def format_markers(numbers: Iterable[int]) -> str:
    """The markers the bot appends to an answer sentence: ``(1, 3)`` -> ``" [1] [3]"`` (empty for none)."""
    return "".join(f" [{n}]" for n in numbers)


def strip_markers(text: str) -> str:
    """Answer text without its ``[n]`` citation markers (and the space before each), trimmed."""
    return _ANSWER_MARKER.sub("", text).strip()


def marker_numbers(text: str) -> tuple[int, ...]:
    """The passage numbers a model's markers cite, in order of first mention, without repeats.

    ``"Kim spoke [1, 3] and [Passage 3]."`` -> ``(1, 3)``.
    """
    return tuple(dict.fromkeys(int(n) for m in _MODEL_MARKER.finditer(text) for n in re.split(r"[,;]", m.group(1))))


def remove_markers(text: str) -> str:
    """``text`` with a model's markers (and the space before each) removed; nothing else changes."""
    return _MODEL_MARKER.sub("", text)


def leading_markers(text: str) -> str:
    """The run of model markers ``text`` opens with (``"[2][3] Next ..."`` -> ``"[2][3]"``), else ``""``.

    A model that writes its markers after the full stop ("... in the capital. [2]") leaves them at
    the start of the next sentence; the caller gives them back to the sentence before.
    """
    m = _LEADING_MODEL_MARKERS.match(text)
    return m.group(0) if m else ""


def defuse_citation_markers(text: str) -> str:
    """``text`` (from an article) with anything that looks like one of our ``[n]`` citation markers
    shown in fullwidth brackets (``［7］``), so an article's own "[7]" or "[Source: …]" cannot pass
    for a citation when its sentence is quoted in an answer. The exact quote stays on the citation."""
    return _CITATION_LOOKALIKE.sub(lambda m: f"［{m.group(1) or m.group(2)}］", text)
