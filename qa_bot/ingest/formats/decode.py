"""Raw bytes to text for the text formats (Markdown, plain text, HTML, JSONL)."""

from __future__ import annotations

from qa_bot.errors import LoaderError


def decode_bytes(data: bytes, source: str) -> str:
    """Decode text files: UTF-8 (with or without BOM) or UTF-16 with a BOM; refuse binary.

    Args:
        data: the file content.
        source: names the input in error messages.

    Returns:
        The decoded text.

    Raises:
        LoaderError: empty, binary or undecodable input, with what to do about it.
    """
    if not data.strip():
        raise LoaderError(source, "the file is empty; nothing to add")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise LoaderError(source, "the file starts like UTF-16 but does not decode; save it as UTF-8") from None
    head = data[:8192]
    if b"\x00" in head:
        zeros = head.count(b"\x00")
        if zeros * 3 >= len(head) and (head[1::2].count(b"\x00") * 2 >= len(head[1::2]) or head[0::2].count(b"\x00") * 2 >= len(head[0::2])):
            raise LoaderError(source, "looks like UTF-16 text without a byte-order mark; save it as UTF-8")
        raise LoaderError(source, "binary file (contains NUL bytes), not text; add .md, .txt, .html, .pdf or .jsonl")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise LoaderError(
            source, f"not valid UTF-8 (bad byte at offset {err.start}); re-save the file as UTF-8"
        ) from None
