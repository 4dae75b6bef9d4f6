"""How CommonMark renders the app's Markdown, for tests that check nothing untrusted can format."""

from __future__ import annotations

from markdown_it import MarkdownIt

from app_pages.markdown import BREAK


def rendered_text(md: str) -> tuple[str, set[str]]:
    """What CommonMark shows for ``md`` (text and line breaks) and which token types occur."""
    out, kinds = [], set()
    for block in MarkdownIt("commonmark").parse(md):
        kinds.add(block.type)
        if block.type == "paragraph_close":
            out.append("\n\n")
        for tok in block.children or []:
            kinds.add(tok.type)
            out.append("\n" if tok.type in ("softbreak", "hardbreak") else tok.content)
    return "".join(out).strip().replace(BREAK, ""), kinds
