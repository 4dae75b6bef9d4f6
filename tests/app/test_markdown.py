"""app_pages.markdown: untrusted text reaches the screen inert; links only to safe URLs; highlights."""

from __future__ import annotations

import random
import re
import unicodedata

import pytest
from markdown_it import MarkdownIt

from app_pages.markdown import BREAK, MarkdownEscaper, escape_markdown, highlight_markdown, markdown_link, safe_url
from tests.app.rendering import rendered_text

NASTY = [
    "[click](javascript:alert(1)) and <https://evil.example> and [ref][1]\n\n[1]: https://evil.example",
    "![pixel](https://evil.example/p.png) <img src=x onerror=alert(1)> <script>alert(1)</script>",
    ":red[red] :orange-background[bg] :material/home: :tada: :streamlit: :blue-badge[b]",
    "$x^2$ and $$\\int$$ cost $5 and $6",
    "https://evil.example www.evil.example mail me@evil.example",
    "**bold** __under__ *it* ~~strike~~ `code` ```fence``` -- -> <- <-> >= <= ~=",
    "# heading\n- list\n+ plus\n1. ordered\n> quote\n    indented code\n\tTabbed\n| a | b |\n|---|---|\nSetext\n===",
    "&amp; &lt;b&gt; &#58; \\ backslash \\[1\\] [1] [2]",
    "bidi \u202eevil\u202c and control \x00\x07 chars\r\nwindows line",
]



def expected_text(text: str) -> str:
    """The text as the escaper shows it: bidi and control characters gone, lines left-trimmed."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = "".join(" " if (ord(c) < 32 and c != "\n") else c for c in text if c not in "\u202e\u202c")
    lines = [line.lstrip(" ") for line in text.split("\n")]
    return re.sub(r"\n{2,}", "\n\n", "\n".join(lines)).strip()


@pytest.mark.parametrize("text", NASTY)
def test_escaped_markdown_shows_the_text_literally_and_nothing_else(text):
    shown, kinds = rendered_text(escape_markdown(text))
    assert shown == expected_text(text)
    assert kinds <= {"paragraph_open", "paragraph_close", "inline", "text", "softbreak"}


@pytest.mark.parametrize("text", NASTY)
def test_escaping_also_breaks_what_streamlit_rewrites_after_parsing(text):
    out = escape_markdown(text)
    # Directives, shortcodes, math, HTML, links, emphasis... (the app's own empty directive aside).
    assert not re.search(r"(?<!\\)[:$<>\[\]!`*_~|#&]", out.replace(BREAK, ""))
    unescaped = out.replace("\\", "")
    for pattern in ("http://", "https://", "www.", "->", "<-", "--", ">=", "<=", "~="):
        assert pattern not in unescaped  # no autolink, no typographic arrow
    assert not re.search(r"\w@", unescaped)


@pytest.mark.parametrize("text", [*NASTY, "Copy https://www.example.com/a?b=1 or mail desk@example.com -> ok"])
def test_escaping_adds_no_invisible_character_so_copied_text_is_the_source(text):
    out = escape_markdown(text)
    invisible = {c for c in out if unicodedata.category(c) in ("Cf", "Zl", "Zp")}
    assert not invisible - set(text), invisible  # nothing invisible that the source did not have
    assert rendered_text(out)[0] == expected_text(text)


def test_escaping_a_stream_piece_by_piece_equals_escaping_it_whole():
    rng = random.Random(7)
    alphabet = "ab :/.@-<>=~$[]()!*_`#\n\r\t w"
    for _ in range(300):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        cuts = sorted(rng.sample(range(len(text) + 1), k=min(3, len(text) + 1)))
        escaper = MarkdownEscaper()
        pieces = [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)])]
        assert "".join(escaper.feed(p) for p in pieces) == escape_markdown(text), repr(text)


def test_plain_prose_stays_readable():
    assert escape_markdown("Lee met Xi in Beijing on Monday") == "Lee met Xi in Beijing on Monday"


@pytest.mark.parametrize("url", [
    "https://example.com/a", "http://example.com:8080/path?q=1&r=2#frag", "HTTPS://EXAMPLE.COM/"])
def test_safe_url_accepts_http_and_https(url):
    assert safe_url(url) == url


@pytest.mark.parametrize("url", [
    "javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,<b>x</b>", "ftp://example.com/f",
    "//evil.example/x", "/relative/path", "https://", "https://user:pw@evil.example/", "https://a.example/ b",
    "https://a.example/\u202egpj", "https://a.example/\"onmouseover=x", "", None, "vbscript:msgbox"])
def test_safe_url_refuses_everything_else(url):
    assert safe_url(url) is None


def test_links_are_made_only_for_safe_urls_and_cannot_break_out():
    assert markdown_link("Story", "https://a.example/x_(y)") == "[Story](https://a.example/x_%28y%29)"
    assert markdown_link("Story [1]", "javascript:alert(1)") == "Story \\[1\\]"
    _, kinds = rendered_text(markdown_link("](javascript:x) [a", "https://a.example/"))
    assert "link_open" in kinds
    tokens = [t for b in MarkdownIt("commonmark").parse(markdown_link("](javascript:x)", "https://a.example/"))
              for t in b.children or []]
    assert [t.attrs.get("href") for t in tokens if t.type == "link_open"] == ["https://a.example/"]


def test_highlight_wraps_exactly_the_span_and_escapes_the_rest():
    text = "Before [x](javascript:1). The quoted $words$ here. After :red[x]."
    start, end = text.index("The"), text.index(" After")
    out = highlight_markdown(text, start, end)
    spans = re.findall(r":yellow-background\[\*\*(.*?)\*\*\]", out)
    assert [re.sub(r"\\(.)", r"\1", s.replace(BREAK, "")) for s in spans] == ["The quoted $words$ here."]
    outside = re.sub(r":yellow-background\[\*\*.*?\*\*\]", "", out)
    assert not re.search(r"(?<!\\)[:$\[\]]", outside)


def test_a_highlight_across_paragraphs_is_one_highlight_per_line():
    text = "One two.\n\nThree four."
    out = highlight_markdown(text, 4, len(text) - 1)
    assert re.findall(r":yellow-background\[\*\*(.*?)\*\*\]", out) == ["two\\.", "Three four"]
    assert highlight_markdown("abc", 5, 1) == "a:yellow-background[**bc**]"  # clamped, ordered

