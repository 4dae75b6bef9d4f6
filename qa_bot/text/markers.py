"""Citation markers: the one place that knows what an ``[n]`` marker looks like."""

from __future__ import annotations

import re

_CITATION_LOOKALIKE = re.compile(r"\[(\s*(?:source|sources|passages?|ref)?\s*:?\s*\d{1,3}(?:\s*[,;–-]\s*\d{1,3})*\s*)\]|"
                                 r"\[(\s*source\s*:[^\]\n]{0,200})\]", re.I)


def defuse_citation_markers(text: str) -> str:
    """``text`` (from an article) with anything that looks like one of our ``[n]`` citation markers
    shown in fullwidth brackets (``［7］``), so an article's own "[7]" or "[Source: …]" cannot pass
    for a citation when its sentence is quoted in an answer. The exact quote stays on the citation."""
    return _CITATION_LOOKALIKE.sub(lambda m: f"［{m.group(1) or m.group(2)}］", text)
