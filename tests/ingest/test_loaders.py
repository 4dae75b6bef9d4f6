import json
from datetime import date

import pytest

from qa_bot.errors import LoaderError
from qa_bot.ingest.article import article_id, normalize_url
from qa_bot.ingest.loaders import expand_paths, load_bytes, load_path, load_text

from tests.conftest import FIXTURES
from tests.fakes import make_pdf


def test_markdown_front_matter_becomes_metadata():
    [art] = load_path(FIXTURES / "corpus" / "lee-interview.md")
    assert art.title == "Lee sets out his China policy before the Beijing trip"
    assert art.outlet == "Test Wire"
    assert art.published == date(2026, 1, 2)
    assert art.author == "Staff reporter"
    assert art.url == "https://testwire.example.com/2026/01/02/lee-interview"
    assert art.id == article_id(art.url)
    assert art.text.startswith("President Lee Jae Myung gave")
    assert "---" not in art.text


def test_markdown_markup_is_reduced_to_readable_text():
    raw = b"# Heading\n\nSee [the report](https://x.example.com) and ![img](http://x/y.png) **now**.\n"
    [art] = load_bytes(raw, "note.md")
    assert art.text == "Heading\n\nSee the report and now."


def test_html_keeps_article_text_and_drops_scripts_navigation_and_boilerplate():
    [art] = load_path(FIXTURES / "corpus" / "lions.html")
    assert art.title == "Stone lions to travel to Xi'an"
    assert art.outlet == "Test Culture"
    assert art.published == date(2026, 1, 6)
    assert art.url == "https://testculture.example.org/2026/01/06/lions"
    assert "Qing dynasty" in art.text and "1933" in art.text
    for junk in ("tracking pixel", "color: red", "Subscribe", "Share on social", "Copyright"):
        assert junk not in art.text


def test_plain_text_takes_its_title_from_the_first_line():
    [art] = load_path(FIXTURES / "corpus" / "missile.txt")
    assert art.title == "North Korea fires missiles as Lee leaves for China"
    assert art.text.startswith("North Korea launched")


def test_pdf_text_and_title_are_extracted():
    data = make_pdf(["The stone lions weigh about 1.25 tonnes each.", "They will go to a park in Xian."], title="Lions")
    [art] = load_bytes(data, "lions.pdf")
    assert art.title == "Lions"
    assert "1.25 tonnes" in art.text and "park in Xian" in art.text


def test_jsonl_imports_every_line_and_uses_given_ids():
    lines = [json.dumps({"id": f"doc-{i}", "title": f"T{i}", "text": f"Article number {i} has enough text here."})
             for i in range(3)]
    arts = load_bytes("\n".join(lines).encode(), "bulk.jsonl")
    assert [a.id for a in arts] == ["doc-0", "doc-1", "doc-2"]


def test_jsonl_with_bad_lines_is_refused_naming_every_bad_line():
    lines = [json.dumps({"title": "ok", "text": "This line is perfectly fine to import."}),
             json.dumps({"title": "no text"}), "{not json", json.dumps({"text": "short"})]
    with pytest.raises(LoaderError) as info:
        load_bytes("\n".join(lines).encode(), "bulk.jsonl")
    msg = str(info.value)
    assert msg.startswith("bulk.jsonl: 3 bad line(s), nothing imported")
    assert "line 2: has no 'text'" in msg and "line 3: not valid JSON" in msg and "line 4" in msg
    assert "\n" not in msg


@pytest.mark.parametrize(
    "data, name, expected",
    [
        (b"", "empty.txt", "the file is empty"),
        (b"   \n\n", "blank.md", "the file is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "image.txt", "binary file"),
        (b"caf\xe9 au lait is a drink people like a lot", "latin1.txt", "not valid UTF-8"),
        ("Plain text in UTF-16 without a byte order mark.".encode("utf-16-le"), "utf16.txt", "UTF-16"),
        (b"some words", "notes.docx", "unsupported file type '.docx'"),
        (b"%PDF-1.4 garbage that is not a real pdf", "broken.pdf", "PDF"),
        (b"not a pdf at all", "fake.pdf", "not a PDF file"),
        (b"---\ntitle: [unclosed\n---\nBody text that is long enough.", "bad.md", "front matter is not valid YAML"),
        (b"---\ntitle: x\npublished: yesterday\n---\nBody text that is long enough.", "date.md", "not an ISO date"),
    ],
)
def test_bad_inputs_get_one_line_errors_naming_the_file(data, name, expected):
    with pytest.raises(LoaderError) as info:
        load_bytes(data, name)
    msg = str(info.value)
    assert msg.startswith(f"{name}: ") and expected in msg and "\n" not in msg


def test_utf16_with_bom_is_read():
    [art] = load_bytes("Title line\nA body in UTF-16 with a byte order mark.".encode("utf-16"), "u.txt")
    assert art.title == "Title line"


def test_ids_are_stable_from_url_else_from_normalised_text():
    assert article_id("HTTPS://Example.com/a/b/#frag") == article_id("https://example.com/a/b")
    assert normalize_url("https://Example.COM/x/") == "https://example.com/x"
    a = load_text("Some pasted   article text\nthat is long enough.", title="A")
    b = load_text("some pasted article text that is long enough.", title="B")
    assert a.id == b.id
    assert a.id != load_text("Different article text that is long enough.").id


def test_non_http_url_is_refused():
    with pytest.raises(LoaderError, match="not an http"):
        load_text("Text that is long enough to be an article.", url="javascript:alert(1)")


def test_expand_paths_finds_supported_files_and_skips_readme_and_hidden(tmp_path):
    (tmp_path / "a.md").write_text("x")
    (tmp_path / "README.md").write_text("x")
    (tmp_path / "b.bin").write_text("x")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "c.md").write_text("x")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "d.txt").write_text("x")
    assert [p.name for p in expand_paths([tmp_path])] == ["a.md", "d.txt"]
