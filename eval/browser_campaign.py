"""The browser half of the reliability campaign (items 5 and 7): injected markup and load.

Both start a real ``streamlit run app.py`` on a free loopback port and drive headless Chromium
(Debian's /usr/bin/chromium through Playwright; no browser is ever downloaded). Called by
``eval/reliability.py``; see that file for how to run it.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = ROOT / "test-artifacts" / "reliability"


def _max_sources() -> int:
    """The most sources an answer may list: each of the composer's sentences cites at most its per-claim bound."""
    from qa_bot.params import load_params

    compose = load_params().answer.compose
    return compose.max_sentences * compose.max_citations_per_claim


MAX_SOURCES = _max_sources()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def app_env(data_dir: Path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QA_BOT_")}
    env.update(QA_BOT_DATA_DIR=str(data_dir), QA_BOT_CORPUS_DIR=str(ROOT / "corpus"), HF_HUB_OFFLINE="1",
               TRANSFORMERS_OFFLINE="1", PYTHONPATH=str(ROOT))
    env.update({k: str(v) for k, v in extra.items()})
    return env


@contextmanager
def streamlit_app(env: dict):
    """``streamlit run app.py`` on a free loopback port; yields its URL."""
    port = free_port()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    log = (ARTIFACTS / f"server-{port}.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
                             "--server.address", "127.0.0.1", "--server.headless", "true"],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"streamlit exited with {proc.returncode}")
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("streamlit did not start") from None
                time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


class Listener:
    """A loopback HTTP listener that counts every request (a request here = an injection worked)."""

    def __init__(self) -> None:
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
        import threading

        self.hits: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):
                return None

            def do_GET(self):
                outer.hits.append(self.path)
                self.send_response(204)
                self.end_headers()

            do_POST = do_GET

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()


# ---------------------------------------------------------------- 5. injected markup


def payloads(port: int) -> list[str]:
    """At least 60 hostile snippets: scripts, handlers, javascript:/data: links, loopback images,
    entities, zero-width tricks, Streamlit directives, math, fake citations."""
    L = f"http://127.0.0.1:{port}"
    p = [
        "<script>window.__pwned=1;alert('x')</script>", "<SCRIPT SRC=" + L + "/s.js></SCRIPT>",
        "<scr<script>ipt>alert(1)</script>", "<script>fetch('" + L + "/fetch')</script>",
        "<img src=x onerror=alert(1)>", "<img src='" + L + "/img.png'>", "<svg onload=alert(1)>",
        "<svg><script>alert(1)</script></svg>", "<body onload=alert(1)>", "<iframe src='" + L + "/frame'></iframe>",
        "<iframe srcdoc='<script>alert(1)</script>'></iframe>", "<a href='javascript:alert(1)'>click</a>",
        "<a href=\"" + L + "/a\">link</a>", "<object data='" + L + "/obj'></object>", "<embed src='" + L + "/embed'>",
        "<link rel=stylesheet href='" + L + "/css'>", "<style>@import url(" + L + "/import);</style>",
        "<div style=\"background:url(" + L + "/bg)\">x</div>", "<meta http-equiv=refresh content='0;url=" + L + "/meta'>",
        "<form action='" + L + "/form'><button>go</button></form>", "<input autofocus onfocus=alert(1)>",
        "<details open ontoggle=alert(1)>", "<video><source onerror=alert(1)></video>", "<audio src=x onerror=alert(1)>",
        "<marquee onstart=alert(1)>", "<base href='" + L + "/'>",
        "[click](javascript:alert(1))", "[click](JaVaScRiPt:alert(1))", "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        "![pixel](" + L + "/md.png)", "![x](javascript:alert(1))", "[![img](" + L + "/nested.png)](" + L + "/nested)",
        "<" + L + "/autolink>", L + "/bare", "www.evil.example/path", "mail spy@evil.example",
        "[ref][1]\n\n[1]: " + L + "/ref", "&lt;script&gt;alert(1)&lt;/script&gt;", "&#60;img src=x onerror=alert(1)&#62;",
        "&#106;avascript:alert(1)", "[x](&#106;avascript:alert(1))", "java\u200bscript:alert(1)", "[z](java\u200bscript:alert(1))",
        "<scr\u200bipt>alert(1)</scr\u200bipt>", "\u202eevil\u202c text", "\ufeff<script>alert(1)</script>",
        ":red[danger]", ":orange-background[urgent]", ":material/warning: icon", ":streamlit: emoji", "$\\href{" + L + "/tex}{x}$",
        "$$x^2$$", "**bold** _italic_ ~~strike~~", "# Heading injection", "> quote block", "| table | head |\n|---|---|\n| a | b |",
        "```html\n<script>alert(1)</script>\n```", "`<img src=x onerror=alert(1)>`", "[Source: Hangang Wire, 2026-01-05]",
        "[7]", "[1][2][3]", "\\[1\\] fake", "<!-- comment --> hidden", "<math><mi xlink:href='javascript:alert(1)'>x</mi></math>",
        "<noscript><p title='</noscript><img src=x onerror=alert(1)>'></noscript>",
    ]
    return p


def markup_articles(port: int, per_article: int = 4) -> list[dict]:
    """Articles carrying the payloads in their text, titles and outlets (URLs: see the refusals)."""
    items = payloads(port)
    arts = []
    for i in range(0, len(items), per_article):
        chunk = items[i : i + per_article]
        n = i // per_article
        text = (f"The harbour crane deal number {n} was signed in Dalian on Tuesday. " + " ".join(chunk) +
                f" The cranes of deal {n} will be delivered in May.")
        arts.append({"id": f"markup-{n}", "title": f"Harbour crane deal {n} {chunk[0]}", "outlet": f"Outlet {n} {chunk[-1]}"[:150],
                     "published": "2026-01-06", "url": f"https://markup.example.com/{n}", "text": text})
    return arts


def _inert_dom_counts(page, port: int) -> dict:
    return page.evaluate("""(port) => {
        const L = 'http://127.0.0.1:' + port;
        const q = s => document.querySelectorAll(s).length;
        const main = document.querySelector('[data-testid="stMain"]') || document.body;
        return {
          scripts: [...document.querySelectorAll('script')].filter(s => (s.src || '').includes(L) || (s.textContent || '').includes('__pwned')).length,
          js_links: q('a[href^="javascript" i]') + q('a[href^="data:" i]'),
          listener_refs: [...document.querySelectorAll('[src],[href],[action],[data]')].filter(e =>
              ['src','href','action','data'].some(a => (e.getAttribute(a) || '').includes(L))).length,
          injected_elements: main.querySelectorAll('iframe, object, embed, svg[onload], img[src="x"], marquee, details[ontoggle], form[action], input[onfocus], video, audio').length,
          katex: q('.katex'),
          pwned: window.__pwned ? 1 : 0,
        };
    }""", port)


def markup_campaign(work: Path, full: bool) -> dict:
    """Payloads through AppTest and through the real browser; counts what got through (zeros required)."""
    from playwright.sync_api import expect, sync_playwright

    listener = Listener()
    data = work / "markup-data"
    arts = markup_articles(listener.port)
    bulk = work / "markup.jsonl"
    bulk.write_text("\n".join(json.dumps(a) for a in arts))
    # A JSONL whose URL fields are hostile is refused as a whole (only http(s) URLs are accepted).
    bad = work / "markup-urls.jsonl"
    bad.write_text("\n".join(json.dumps({"title": "u", "text": "Some text long enough here.", "url": u}) for u in
                             ("javascript:alert(1)", "data:text/html,<script>alert(1)</script>",
                              f"JAVASCRIPT:alert(1)", "vbscript:msgbox(1)")))
    env = app_env(data, QA_BOT_EMBED_MODEL="hashing")
    subprocess.run([sys.executable, "-m", "qa_bot.cli", "ingest", "-q"], env=env, check=True, capture_output=True)
    subprocess.run([sys.executable, "-m", "qa_bot.cli", "add", str(bulk), "-q"], env=env, check=True, capture_output=True)
    refused = subprocess.run([sys.executable, "-m", "qa_bot.cli", "add", str(bad), "-q"], env=env, capture_output=True,
                             text=True)
    url_refusals = refused.stderr.count("not an http(s) address")

    # AppTest: every rendered Markdown string, rendered by a CommonMark parser, holds no live markup.
    apptest = _apptest_markup(env, arts)

    asked = arts if full else arts[:4]
    totals = {"scripts": 0, "js_links": 0, "listener_refs": 0, "injected_elements": 0, "katex": 0, "pwned": 0}
    dialogs: list[str] = []
    fake_citations = 0
    cases: list[dict] = []
    uncounted: list[dict] = []
    with streamlit_app(env) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        ctx = browser.new_context(viewport={"width": 1280, "height": 1600})
        ctx.set_default_timeout(90_000)
        page = ctx.new_page()
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(url)
        page.get_by_text("Not sure where to start?").wait_for()
        for i, a in enumerate(asked):
            n = a["id"].split("-")[1]
            box = page.get_by_test_id("stChatInputTextArea")
            # This question's reply, by position: each question adds two messages (it and its reply) to a
            # conversation that starts empty. Neither ``.last`` nor a count of the messages is safe while the
            # app redraws the conversation (seen: the previous reply's "Sources (4)" read beside this one's
            # markers; a count that included a message's old copy, so the awaited reply never came).
            msg = page.get_by_test_id("stChatMessage").nth(2 * i + 1)
            box.fill(f"Where was the harbour crane deal number {n} signed?")
            box.press("Enter")
            msg.get_by_text(re.compile(r"^(Sources|Closest passages) \(\d+\)$")).wait_for()
            expect(page.get_by_role("button", name="Export as JSON")).to_be_enabled()  # the run has finished
            # ... and its redraw too: until then the old copy of a message can stand, marked stale, beside
            # the new one, and its text is read half drawn (seen on a busy machine: sources but no markers)
            expect(page.locator(".stElementContainer[data-stale='true']")).to_have_count(0)
            labels = msg.get_by_text(re.compile(r"^Sources \((\d+)\)$"))
            shown = int(re.search(r"\d+", labels.first.inner_text()).group(0)) if labels.count() else 0
            # Every source shown is one of the answer's own citations (at most the composer's bound), never a
            # "[7]" or "[Source: …]" written inside an article.
            buttons = msg.get_by_role("button", name="Open the full article")
            if shown:  # the source cards render after their heading; give them time before counting
                try:  # the message may be redrawn under us; counting below waits for the new one
                    msg.scroll_into_view_if_needed(timeout=5_000)
                except Exception:
                    pass
                try:
                    expect(buttons).to_have_count(shown, timeout=30_000)
                except AssertionError:
                    pass
            cards = buttons.count()
            # The answer's text (an abstention has none): its [n] markers are exactly its sources, and there
            # are at most MAX_SOURCES (each of the composer's sentences cites at most its per-claim bound);
            # an article's "[7]" or "[Source: …]" would show up as an extra one.
            # The answer is everything above its "Sources (n)" expander: the bold direct answer, the
            # cited sentences and any "outlets differ" block.
            answer_text = msg.inner_text().split("Sources (", 1)[0]
            markers = {int(m) for m in re.findall(r"\[(\d+)\]", answer_text)} if shown else set()
            if markers != set(range(1, shown + 1)) or shown > MAX_SOURCES:
                fake_citations += 1
                cases.append({"article": a["id"], "sources_label": shown, "markers": sorted(markers)})
            elif cards != shown:
                # Not a citation (the label and the answer's markers agree): the harness could not count
                # the cards' buttons in time (seen now and then in a busy browser). Reported, with a screenshot.
                uncounted.append({"article": a["id"], "sources_label": shown, "source_cards": cards})
                page.screenshot(path=str(ARTIFACTS / f"markup-sources-{a['id']}.png"), full_page=True)
            opened = msg.get_by_role("button", name="Open the full article").first
            if opened.count():
                opened.click()
                page.get_by_role("dialog").wait_for()
                for k, v in _inert_dom_counts(page, listener.port).items():
                    totals[k] += v
                page.keyboard.press("Escape")
                page.get_by_role("dialog").wait_for(state="hidden")
            for k, v in _inert_dom_counts(page, listener.port).items():
                totals[k] += v
        page.screenshot(path=str(ARTIFACTS / "markup.png"), full_page=True)
        browser.close()
    listener.close()
    return {
        "payloads": len(payloads(0)), "articles": len(arts), "asked_in_browser": len(asked),
        "scripts_run": totals["pwned"] + len(dialogs) + totals["scripts"], "listener_requests": len(listener.hits),
        "injected_elements": totals["injected_elements"] + totals["js_links"] + totals["listener_refs"] + totals["katex"],
        "fake_citations": fake_citations + apptest["fake_citations"], "apptest_live_markup": apptest["live"],
        "apptest_strings": apptest["strings"], "hostile_urls_refused": url_refusals, "fake_citation_cases": cases,
        "source_cards_not_counted": uncounted,
    }


APPTEST = r"""
import json, re, sys
from markdown_it import MarkdownIt
from streamlit.testing.v1 import AppTest
arts = json.loads(open(sys.argv[1]).read())
md = MarkdownIt("commonmark").enable("table").enable("strikethrough")
LIVE = re.compile(r"<(script|img|iframe|object|embed|svg|style|link|meta|form|input|video|audio|base|math|details|marquee)\b", re.I)
LINK = re.compile(r'<a href="([^"]*)"', re.I)
OWN = re.compile(r"^https://markup\.example\.com/\d+$|^https://[a-z]+\.example\.(com|org)/")  # the articles' own URLs
live = strings = fake = 0
at = AppTest.from_file("app.py", default_timeout=60).run()
for a in arts:
    n = a["id"].split("-")[1]
    at.chat_input[0].set_value(f"Where was the harbour crane deal number {n} signed?").run()
    values = [m.value for m in at.markdown] + [c.value for c in at.caption] + [e.value for e in at.info]
    for v in values:
        strings += 1
        html = md.render(v.replace("\u2060", ""))
        bad_links = [h for h in LINK.findall(html) if not OWN.match(h)]
        if LIVE.search(html) or bad_links:
            live += 1
            print("LIVE:", v[:200], file=sys.stderr)
    last = [m.value for m in at.markdown if "harbour crane deal" in m.value.lower()]
print(json.dumps({"live": live, "strings": strings, "fake_citations": fake}))
"""


def _apptest_markup(env: dict, arts: list[dict]) -> dict:
    path = ROOT / "test-artifacts" / "reliability" / "markup-articles.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(arts))
    done = subprocess.run([sys.executable, "-c", APPTEST, str(path)], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=1200)
    if done.returncode != 0:
        raise RuntimeError(f"AppTest markup run failed: {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------- 7. load


async def _session(browser, url: str, questions: list[str], results: list, name: str) -> None:
    from playwright.async_api import expect

    ctx = await browser.new_context(viewport={"width": 1280, "height": 1400})
    ctx.set_default_timeout(180_000)
    page = await ctx.new_page()
    await page.goto(url)
    await page.get_by_text("Not sure where to start?").wait_for()
    for q in questions:
        t0 = time.perf_counter()
        box = page.get_by_test_id("stChatInputTextArea")
        count = await page.get_by_test_id("stChatMessage").count()
        await box.fill(q)
        await box.press("Enter")
        msg = page.get_by_test_id("stChatMessage").nth(count + 1)
        try:
            await msg.get_by_text(re.compile(r"^(Sources|Closest passages) \(\d+\)$")).wait_for()
            await page.get_by_role("button", name="Export as JSON").wait_for()
            text = await msg.inner_text()
            errors = await page.get_by_test_id("stException").count() + await msg.get_by_test_id("stAlertContentError").count()
            results.append({"session": name, "question": q, "ms": (time.perf_counter() - t0) * 1e3,
                            "cited": "Sources (" in text and bool(re.search(r"\[\d+\]", text)), "error": bool(errors)})
        except Exception as err:  # a timeout is an error of the run, recorded, not raised
            results.append({"session": name, "question": q, "ms": (time.perf_counter() - t0) * 1e3, "cited": False,
                            "error": True, "detail": str(err)[:200]})
        await page.get_by_role("button", name="New conversation").click()
        await expect(page.get_by_test_id("stChatMessage")).to_have_count(0, timeout=180_000)
    await ctx.close()


async def _settled(page, timeout: float = 180_000) -> None:
    """Wait until the page's run has finished and been drawn: no script running, no element left marked
    stale (the old copy of a form the run is redrawing: typing into it is lost). As ``settled()`` in
    tests/e2e/test_browser.py."""
    from playwright.async_api import expect

    await expect(page.get_by_test_id("stApp")).to_have_attribute("data-test-script-state", "notRunning",
                                                                 timeout=timeout)
    await expect(page.locator(".stElementContainer[data-stale='true']")).to_have_count(0, timeout=timeout)


async def _adder(browser, url: str, n: int, added: list, add_failures: list) -> None:
    """Add ``n`` pasted notes through the Corpus page, one after the other, each checked to be added under
    the title typed for it."""
    from playwright.async_api import expect

    ctx = await browser.new_context(viewport={"width": 1280, "height": 1400})
    ctx.set_default_timeout(180_000)
    page = await ctx.new_page()
    await page.goto(url)
    await page.get_by_test_id("stSidebarNavLink").filter(has_text="Corpus").click()
    await page.get_by_role("tab", name="Paste text").click()  # it stays open through the adds' reruns
    live = page.locator(".stElementContainer[data-stale='false']")
    for i in range(n):
        title = f"Load note {i}"
        try:
            # Only into the fresh, empty form, once the page has settled after the tab click or the last add.
            # The settled wait alone can pass before a rerun just asked for has started (nothing is stale
            # yet): the form must also be drawn by the current run, and empty. On a loaded machine that
            # rerun can take as long as an answer, hence the long wait.
            await _settled(page)
            await expect(live.get_by_label("Title")).to_have_value("", timeout=180_000)
            await live.get_by_label("Title").fill(title)
            await live.get_by_label("Article text").fill(f"{title}: the ferry service between Incheon and Weihai "
                                                         f"will run {i + 2} times a week from March, officials said.")
            await expect(live.get_by_label("Title")).to_have_value(title)  # still there when it is sent
            await live.get_by_role("button", name="Add text", exact=True).click()
            panel = page.get_by_role("tabpanel")
            await panel.get_by_test_id("stAlertContentSuccess").filter(has_text=title).wait_for()
            if not await panel.get_by_text(f"Added “{title}”.", exact=True).count():
                shown = await panel.get_by_test_id("stAlertContentSuccess").all_inner_texts()
                raise RuntimeError(f"added, but not under the title typed ({title!r}); the page says {shown}")
            added.append(i)
        except Exception as err:  # recorded (the report lists it and the run fails), not raised: the sessions go on
            add_failures.append(f"note {i}: {str(err)[:300]}")
            await page.screenshot(path=str(ARTIFACTS / f"load-adder-{i}.png"), full_page=True)
    await ctx.close()


ANSWERED = r"""
import json, sys
from qa_bot.bot import QABot
bot = QABot(); bot.open()
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
out = [r["question"] for r in rows if r["answerable"] and not r["history"] and not bot.ask(r["question"]).abstained]
print(json.dumps(out))
"""


def load_campaign(work: Path, full: bool) -> dict:
    """Concurrent browser sessions asking questions while another session adds documents."""
    from playwright.async_api import async_playwright

    data = work / "load-data"
    env = app_env(data)
    subprocess.run([sys.executable, "-m", "qa_bot.cli", "ingest", "-q"], env=env, check=True, capture_output=True)
    # Questions the bot answers (the load test measures serving, not answer quality): dev questions only.
    done = subprocess.run([sys.executable, "-c", ANSWERED, str(ROOT / "eval" / "summit_gold.jsonl")], env=env,
                          capture_output=True, text=True, check=True)
    questions = json.loads(done.stdout.strip().splitlines()[-1])
    sessions, per = (4, 25) if full else (2, 4)
    results: list[dict] = []
    added: list[int] = []
    add_failures: list[str] = []

    async def run(url):
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            jobs = [_session(browser, url, [questions[(s * per + i) % len(questions)] for i in range(per)], results, f"s{s}")
                    for s in range(sessions)]
            jobs.append(_adder(browser, url, 5 if full else 2, added, add_failures))
            await asyncio.gather(*jobs)
            await browser.close()

    with streamlit_app(env) as url:
        t0 = time.perf_counter()
        asyncio.run(run(url))
        wall = time.perf_counter() - t0
    ms = sorted(r["ms"] for r in results)
    # Absurd input through the library entry point the app and CLI share: fast, clear refusals.
    probes = {}
    for label, args, stdin in (("1 MB question", ["ask", "-"], "x" * 1_000_000),
                               ("k = 100000", ["ask", "Taiwan?", "-k", "100000"], ""),
                               ("k = -3", ["ask", "Taiwan?", "-k", "-3"], "")):
        t = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "qa_bot.cli", *args], env=env, capture_output=True, text=True,
                              input=stdin)
        probes[label] = {"exit": done.returncode, "s": round(time.perf_counter() - t, 2),
                         "message": done.stderr.strip().splitlines()[-1][:160] if done.stderr.strip() else ""}
    return {"sessions": sessions, "questions_per_session": per, "answers": len(results),
            "errors": sum(r["error"] for r in results), "uncited": sum(not r["cited"] for r in results),
            "p50_ms": statistics.median(ms) if ms else 0, "p95_ms": ms[max(0, int(round(0.95 * len(ms))) - 1)] if ms else 0,
            "documents_added_meanwhile": len(added), "add_failures": add_failures, "wall_s": wall, "absurd_inputs": probes,
            "failures": [r for r in results if r["error"] or not r["cited"]][:10]}
