"""PDF files: the text of their pages, hard-wrapped lines joined back into paragraphs."""

from __future__ import annotations

import io

from qa_bot.errors import LoaderError
from qa_bot.ingest.article import make_article
from qa_bot.models import Article

_SENTENCE_END = (".", "!", "?", ":", '"', "'", "\u201d", ")")


def _unwrap(text: str) -> str:
    """Join hard-wrapped PDF lines into paragraphs; keep breaks after sentence ends and short lines."""
    out: list[str] = []
    parts: list[str] = []  # the paragraph being joined, kept in pieces: re-copying it per line is quadratic
    size = 0
    for line in (ln.strip() for ln in text.split("\n")):
        if parts and line and parts[-1][-1] not in _SENTENCE_END and size > 40:
            if parts[-1].endswith("-") and line[:1].islower():
                parts[-1] = parts[-1][:-1]
                size -= 1
            else:
                parts.append(" ")
                size += 1
        else:
            if parts:
                out.append("".join(parts))
            parts, size = [], 0
            if not line:
                out.append("")
                continue
        parts.append(line)
        size += len(line)
    if parts:
        out.append("".join(parts))
    return "\n".join(out)


def pdf_to_article(data: bytes, source: str) -> Article:
    """Text of a PDF's pages (title from its metadata); encrypted or damaged files are refused.

    Raises:
        LoaderError: not a PDF, encrypted, damaged, or no extractable text (e.g. scanned images).
    """
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    if not data.lstrip()[:5] == b"%PDF-":
        raise LoaderError(source, "not a PDF file (no %PDF header)")
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise LoaderError(source, "the PDF is encrypted; remove the password and retry")
        pages = [page.extract_text() or "" for page in reader.pages]
        info = reader.metadata or {}
        title = str(info.get("/Title") or "").strip()
        author = str(info.get("/Author") or "").strip()
    except LoaderError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, RecursionError, OSError) as err:
        raise LoaderError(source, f"the PDF is damaged or unreadable ({type(err).__name__}); re-export it and retry") from None
    text = _unwrap("\n\n".join(pages))
    if not text.strip():
        raise LoaderError(source, "the PDF has no extractable text (scanned images?); add a text version")
    return make_article(text=text, source=source, title=title, author=author)
