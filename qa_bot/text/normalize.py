"""Canonical article text: the one normalisation every loader applies."""

from __future__ import annotations

import re
import unicodedata


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
