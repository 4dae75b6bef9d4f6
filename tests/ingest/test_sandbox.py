"""Risky formats are parsed in a bounded child process; hostile inputs get one-line errors."""

import time

import pytest

from qa_bot.errors import LoaderError
from qa_bot.ingest.formats.html import html_depth
from qa_bot.ingest.loaders import load_bytes
from qa_bot.ingest.sandbox import parse_isolated

from tests.fakes import make_pdf

pytestmark = pytest.mark.slow  # spawns child processes, some made to time out


def test_pdf_and_html_are_parsed_in_the_child_and_come_back_intact():
    [pdf] = load_bytes(make_pdf(["Sentence one is here.", "Sentence two follows it."], title="T"), "a.pdf")
    assert pdf.title == "T" and "Sentence two" in pdf.text
    [page] = load_bytes(b"<html><head><title>Page</title></head><body><p>Body text of the page.</p>"
                        b"<script>steal()</script></body></html>", "a.html")
    assert page.title == "Page" and page.text == "Body text of the page."


def test_a_parser_that_runs_too_long_is_stopped(monkeypatch):
    monkeypatch.setenv("QA_BOT_SANDBOX_TEST_SLEEP", "5")
    started = time.monotonic()
    with pytest.raises(LoaderError, match="parsing took longer than 1s"):
        parse_isolated(make_pdf(["x" * 30]), "slow.pdf", "slow.pdf", timeout=1)
    assert time.monotonic() - started < 4


def test_a_parser_that_needs_too_much_memory_is_stopped(monkeypatch):
    monkeypatch.setenv("QA_BOT_SANDBOX_TEST_ALLOCATE_MB", "900")
    with pytest.raises(LoaderError, match="more than 300 MB of memory"):
        parse_isolated(make_pdf(["x" * 30]), "big.pdf", "big.pdf", memory_mb=300)


def test_deeply_nested_html_is_refused_quickly():
    deep = ("<html><body>" + "<div>" * 50_000 + "text" + "</div>" * 50_000 + "</body></html>").encode()
    assert html_depth(deep.decode()) > 1000
    started = time.monotonic()
    with pytest.raises(LoaderError, match="more than 1,000 levels deep"):
        load_bytes(deep, "deep.html")
    assert time.monotonic() - started < 10


@pytest.mark.parametrize("data, expected", [
    (b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog", "damaged or unreadable"),
    (b"%PDF-1.4\n" + bytes(range(256)) * 50, "damaged or unreadable"),
])
def test_truncated_and_garbage_pdfs_get_clear_errors(data, expected):
    with pytest.raises(LoaderError, match=expected):
        load_bytes(data, "x.pdf")


def test_yaml_anchors_in_front_matter_are_refused():
    bomb = b"---\na: &a [x, x, x, x]\nb: &b [*a, *a, *a, *a]\nc: [*b, *b, *b, *b]\n---\nBody text long enough."
    with pytest.raises(LoaderError, match="anchors or aliases"):
        load_bytes(bomb, "bomb.md")
