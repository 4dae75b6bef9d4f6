"""Plain text files: the body, with a short first line taken as the title."""

from __future__ import annotations

from qa_bot.ingest.article import make_article
from qa_bot.models import Article
from qa_bot.text.normalize import normalize_text


def load_plain_text(raw: str, source: str, title: str = "") -> Article:
    """Plain text: the first line is the title when it is short and no title is given.

    A first line counts as a title when it has at most 150 characters, more text follows it,
    and it does not end with a full stop (a sentence is body text).

    Raises:
        LoaderError: text :func:`~qa_bot.ingest.article.make_article` refuses.
    """
    text = normalize_text(raw)
    if not title:
        first, _, rest = text.partition("\n")
        if len(first) <= 150 and rest.strip() and not first.rstrip().endswith("."):
            title, text = first, rest
    return make_article(text=text, source=source, title=title)
