"""Documents: the half of :class:`~qa_bot.bot.QABot` that manages what it answers from.

Sync the corpus folder, add files, uploads, pasted text and web pages, list and remove
articles. Every refused input comes back in :class:`AddResult` instead of stopping the others.
A near-identical copy of an indexed article (the same story published again elsewhere, see
:mod:`qa_bot.ingest.syndication`) is not indexed twice: it is recorded on the original instead.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from qa_bot.config import Settings
from qa_bot.errors import AmbiguousIdError, LoaderError, NotFoundError
from qa_bot.ingest.loaders import expand_paths, load_bytes, load_path, load_text
from qa_bot.ingest.syndication import Copy, split_copies
from qa_bot.models import Article
from qa_bot.progress import Progress, no_progress
from qa_bot.storage.registry import ORIGIN_ADDED, ArticleRecord
from qa_bot.storage.store import Store, WriteReport

#: The shortest start of an id accepted in place of the whole id (as git takes commit hashes).
MIN_ID_PREFIX = 4


@dataclass
class AddResult:
    """The outcome of adding several inputs: what was written, and each input that was refused."""

    report: WriteReport = field(default_factory=WriteReport)
    errors: list[LoaderError] = field(default_factory=list)
    articles: list[Article] = field(default_factory=list)
    #: Copies of indexed articles recorded on them ("also published by") instead of being indexed.
    also_published: list[Copy] = field(default_factory=list)
    #: Ids of feed entries written from their own summary, their linked page not fetched (see ``ingest.feeds``).
    summaries: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """The report's one line, counting the copies recorded instead of indexed, e.g.
        ``"1 added, 0 updated, 0 unchanged, 1 also published by (recorded on the original); 3 chunks ..."``."""
        line = self.report.summary()
        if not self.also_published and not self.summaries:
            return line
        head, sep, tail = line.partition("; ")
        if self.also_published:
            head += f", {len(self.also_published)} also published by (recorded on the original)"
        if self.summaries:
            head += f", {len(self.summaries)} from feed summaries (their pages could not be fetched)"
        return f"{head}{sep}{tail}"

    def copies_json(self) -> list[dict]:
        """The recorded copies as ``qa-bot add --json`` prints them."""
        return [{"article_id": c.original_id, "copy_id": c.article.id, "outlet": c.article.outlet,
                 "url": c.article.url, "published": c.article.published.isoformat() if c.article.published else "",
                 "similarity": round(c.similarity, 3)} for c in self.also_published]

    @property
    def ok(self) -> bool:
        """True when every input was read (nothing refused)."""
        return not self.errors

    def take_refusals(self) -> AddResult:
        """Move the store's refusals (an added article colliding with a corpus one) into ``errors``."""
        self.errors.extend(self.report.refused)
        self.report.refused = []
        return self


class Documents:
    """Adding, listing and removing articles, for :class:`~qa_bot.bot.QABot` (which inherits it).

    Works on the host's ``settings`` and ``store`` (opened on first use); it holds no state of its own.
    """

    settings: Settings
    store: Store

    def is_empty(self) -> bool:
        """True when no article is indexed yet (e.g. before the first ``ingest``)."""
        return self.store.stats()["articles"] == 0

    def stats(self) -> dict:
        """Index size: ``{"articles", "chunks", "index_records"}`` (records as the vector index counts them)."""
        return self.store.stats()

    def corpus_articles(self) -> tuple[list[Article], list[LoaderError]]:
        """The articles of the corpus folder, and the files in it that could not be read."""
        folder = self.settings.corpus_dir
        if not folder.is_dir():
            return [], []
        articles, errors = [], []
        for path in expand_paths([folder]):
            try:
                for art in load_path(path):
                    articles.append(replace(art, source=str(path.relative_to(folder))))
            except LoaderError as err:
                errors.append(err)
            except Exception as err:  # a loader bug must cost one file, never the whole corpus
                errors.append(unexpected(str(path), err))
        return self._within_bounds(articles, errors), errors

    def ingest(self, progress: Progress = no_progress) -> AddResult:
        """Sync the corpus folder into the index: embed new/changed articles, drop deleted ones."""
        articles, errors = self.corpus_articles()
        report = self.store.sync_corpus(articles, progress)
        return AddResult(report=report, errors=errors, articles=articles)

    def ensure_indexed(self, progress: Progress = no_progress,
                       on_build: Callable[[Path], None] | None = None) -> AddResult | None:
        """Build the index from the corpus folder if nothing is indexed yet (a first run); else do nothing.

        Args:
            progress: progress callback for the build.
            on_build: called with the corpus folder just before building, so a caller can say why it waits.

        Returns:
            The :meth:`ingest` result, or None when the index had articles or there is no corpus folder.
        """
        folder = self.settings.corpus_dir
        if not self.is_empty() or not folder.is_dir():
            return None
        if on_build:
            on_build(folder)
        return self.ingest(progress)

    def add_articles(self, articles: Sequence[Article], progress: Progress = no_progress,
                     on_article: Callable[[str, str], None] | None = None) -> WriteReport:
        """Add validated articles (kept in the data folder, so a rebuild never loses them); articles over
        ``max_article_chars`` are refused in the report."""
        refused: list[LoaderError] = []
        report = self.store.add(self._within_bounds(articles, refused), ORIGIN_ADDED, progress, on_article)
        report.refused.extend(refused)
        return report

    def _write(self, articles: Sequence[Article], progress: Progress = no_progress,
               on_article: Callable[[str, str], None] | None = None) -> AddResult:
        """Add what was read, recording near-identical copies of indexed articles on them instead of indexing them.

        Re-adding a recorded copy counts as unchanged. A copy whose original (earlier in the same batch)
        was refused is added as an article of its own.
        """
        registry = self.store.registry
        keep, copies = split_copies(articles, registry)
        report = self.add_articles(keep, progress, on_article)
        indexed = registry.indexed_ids()
        orphans = [c.article for c in copies if c.original_id not in indexed]
        if orphans:
            _combine_reports(report, self.add_articles(orphans, progress, on_article))
        copies = [c for c in copies if c.original_id in indexed]
        registry.add_copies((c.original_id, c.article) for c in copies if not c.known)
        report.unchanged.extend(c.article.id for c in copies if c.known)
        return AddResult(report=report, articles=list(articles),
                         also_published=[c for c in copies if not c.known]).take_refusals()

    def also_published(self, article_id: str) -> list[tuple[str, str, str]]:
        """``(outlet, url, published)`` of each recorded copy of an article (published again elsewhere)."""
        return [(outlet, url, published) for _, _, outlet, url, published in self.store.registry.copies(article_id)]

    def _within_bounds(self, articles: Sequence[Article], errors: list[LoaderError]) -> list[Article]:
        """The articles short enough to chunk and embed in bounded time; a refusal for each other one."""
        limit = self.settings.max_article_chars
        keep = []
        for a in articles:
            if len(a.text) > limit:
                errors.append(LoaderError(a.source or a.id, f"the text is {len(a.text):,} characters, over the "
                                          f"{limit:,} limit for one article (QA_BOT_MAX_ARTICLE_CHARS); split it"))
            else:
                keep.append(a)
        return keep

    def add_paths(self, paths: Sequence[Path | str], progress: Progress = no_progress,
                  on_article: Callable[[str, str], None] | None = None) -> AddResult:
        """Add files and folders; each unreadable input is reported and skipped, the rest are added."""
        result = AddResult()
        max_bytes = int(self.settings.max_upload_mb * 1e6)
        for path in expand_paths([Path(p) for p in paths]):
            try:
                result.articles.extend(load_path(path, max_bytes=None if path.suffix == ".jsonl" else max_bytes))
            except LoaderError as err:
                result.errors.append(err)
            except Exception as err:  # a loader bug must cost one input, never the rest of the batch
                result.errors.append(unexpected(str(path), err))
        if result.articles:
            written = self._write(result.articles, progress, on_article)
            result.report, result.also_published = written.report, written.also_published
            result.errors.extend(written.errors)
        return result.take_refusals()

    def add_inputs(self, inputs: Sequence[Path | str], progress: Progress = no_progress,
                   on_article: Callable[[str, str], None] | None = None) -> AddResult:
        """Add files, folders, JSONL bulk files and http(s) URLs given together, as ``qa-bot add`` takes them.

        Paths are added first (in one write), then each URL in order. An input that cannot be read or
        fetched is reported in ``errors`` and the others are still added.

        Args:
            inputs: paths and URLs, mixed; anything starting ``http://`` or ``https://`` is a URL.
            progress: progress callback.
            on_article: called with ``(article_id, "added"|"updated")`` as each article from a file is committed.

        Raises:
            LockedError: another process is writing to this data folder.
        """
        urls = [str(i) for i in inputs if _URL.match(str(i))]
        paths = [i for i in inputs if str(i) not in urls]
        total = self.add_paths(paths, progress, on_article) if paths else AddResult()
        for url in urls:
            _combine(total, self.add_url(url, progress))
        return total

    def add_upload(self, data: bytes, filename: str, progress: Progress = no_progress) -> AddResult:
        """Add an uploaded file. The name only picks the format; nothing is written under it."""
        limit = int(self.settings.max_upload_mb * 1e6)
        safe_name = _display_name(filename)
        if len(data) > limit:
            return AddResult(errors=[LoaderError(f"upload:{safe_name}", f"upload is {_size(len(data))}, over the "
                                                 f"{_size(limit)} limit; split it or raise QA_BOT_MAX_UPLOAD_MB")])
        try:
            articles = load_bytes(data, safe_name, source=f"upload:{safe_name}")
        except LoaderError as err:
            return AddResult(errors=[err])
        except Exception as err:  # a loader bug: one line for this upload
            return AddResult(errors=[unexpected(f"upload:{safe_name}", err)])
        return self._write(articles, progress)

    def add_text(self, text: str, *, title: str = "", outlet: str = "", url: str = "", published=None,
                 author: str = "", progress: Progress = no_progress) -> AddResult:
        """Add pasted text with its metadata."""
        try:
            article = load_text(text, title=title, outlet=outlet, url=url, published=published, author=author)
        except LoaderError as err:
            return AddResult(errors=[err])
        except Exception as err:
            return AddResult(errors=[unexpected("pasted text", err)])
        return self._write([article], progress)

    def add_url(self, url: str, progress: Progress = no_progress, skip_known: bool = False) -> AddResult:
        """Fetch a web page or an RSS/Atom feed (http/https; public addresses unless settings allow private) and add it.

        A feed adds each of its entries (see :mod:`qa_bot.ingest.feeds`); an entry that cannot be read is
        reported in ``errors`` and the others are still added.

        Args:
            url: the page or feed.
            progress: progress callback.
            skip_known: do not fetch again the linked page of a feed entry that is already indexed (or
                recorded as a copy); it counts as unchanged. ``qa-bot watch`` sets it. An entry indexed from
                its summary alone is fetched again, so its page replaces the summary once it can be read.
        """
        from qa_bot.ingest.feeds import SUMMARY_MARK, is_feed, load_feed
        from qa_bot.ingest.fetch import check_url, fetch, page_article

        try:
            check_url(url)
            final_url, body, content_type = fetch(url, self.settings)
            if is_feed(content_type, body):
                registry = self.store.registry
                known = set()
                if skip_known:
                    known = set(registry.hashes()) | {row[1] for row in registry.copies()}
                    known -= registry.ids_with_extra(SUMMARY_MARK)
                feed = load_feed(body, url, final_url, content_type, self.settings, known.__contains__, progress)
                articles = feed.articles
            else:
                feed, articles = None, [page_article(url, final_url, body, content_type)]
        except LoaderError as err:
            return AddResult(errors=[err])
        except Exception as err:
            return AddResult(errors=[unexpected(url[:200], err)])
        result = self._write(articles, progress) if articles else AddResult()
        if feed is not None:
            result.errors[:0] = feed.errors
            result.report.unchanged.extend(feed.known)
            written = set(result.report.added) | set(result.report.updated)
            result.summaries = [i for i in feed.summaries if i in written]
        return result

    def remove(self, *article_ids: str) -> list[str]:
        """Delete articles and all their chunks (bundled articles come back on the next ``ingest``).

        Returns:
            The ids removed.

        Raises:
            NotFoundError: an id that is not indexed; it is named, and nothing is deleted then.
        """
        return self.store.remove(list(article_ids))

    def overview(self) -> dict:
        """Cheap facts for a sidebar: article and chunk counts, outlet names, the date range (no texts loaded)."""
        store = self.store
        stats = store.stats()
        return {"articles": stats["articles"], "chunks": stats["chunks"], "outlets": store.outlets(),
                "dates": store.registry.date_range()}

    def articles(self) -> list[ArticleRecord]:
        """Every indexed article with its chunk count and origin (corpus or added), newest first."""
        return self.store.articles()

    def article(self, article_id: str) -> ArticleRecord:
        """One indexed article, its full text included.

        Raises:
            NotFoundError: no article has this id.
        """
        return self.store.article(article_id)

    def resolve_ids(self, *ids_or_prefixes: str) -> list[str]:
        """Full article ids for ids or unique starts of ids (at least :data:`MIN_ID_PREFIX` characters).

        Args:
            ids_or_prefixes: what the user typed, e.g. ``55626cc7`` for ``55626cc76424f454``.

        Returns:
            The full ids, in order, each once.

        Raises:
            NotFoundError: no article has this id or an id starting with it (or it is shorter than
                :data:`MIN_ID_PREFIX` characters and no whole id: the message asks for more); it is named.
            AmbiguousIdError: several ids start with it; its ``candidates`` describe each, one line each.
        """
        return list(dict.fromkeys(self._resolve_id(i.strip()) for i in ids_or_prefixes))

    def _resolve_id(self, wanted: str) -> str:
        try:
            return self.store.article(wanted).id
        except NotFoundError:
            if len(wanted) < MIN_ID_PREFIX:
                raise NotFoundError(f"{wanted!r} is too short to pick an article: give its whole id or at least "
                                 f"{MIN_ID_PREFIX} characters of it (`qa-bot list` shows the ids)") from None
            matches = [r for r in self.store.articles() if r.id.startswith(wanted)]
            if not matches:
                raise
        if len(matches) > 1:
            raise AmbiguousIdError(wanted, ["  ".join(str(part) for part in (
                r.id, r.article.published or "", r.article.outlet, r.article.title) if part) for r in matches])
        return matches[0].id


def _combine(total: AddResult, part: AddResult) -> None:
    """Fold ``part`` into ``total``. The elapsed ``seconds`` stay ``total``'s: ``qa-bot add`` has always
    reported the time of its file write only."""
    total.errors.extend(part.errors)
    total.articles.extend(part.articles)
    total.also_published.extend(part.also_published)
    total.summaries.extend(part.summaries)
    _combine_reports(total.report, part.report)


def _combine_reports(total: WriteReport, part: WriteReport) -> None:
    """Fold the write ``part`` into ``total`` (its refusals too; the elapsed time stays ``total``'s)."""
    for name in ("added", "updated", "unchanged", "duplicates", "conflicts", "refused"):
        getattr(total, name).extend(getattr(part, name))
    total.chunks_written += part.chunks_written


#: Anything that looks like ``scheme://`` is a URL (and refused unless http/https), never a file path.
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def unexpected(source: str, err: Exception) -> LoaderError:
    """A loader failure nobody foresaw, as the input's one-line error (the other inputs go on)."""
    detail = f"{type(err).__name__}: {str(err)[:160]}" if str(err) else type(err).__name__
    return LoaderError(source, f"could not be read ({detail}); check the file, or report this as a bug")


def _size(n_bytes: int) -> str:
    """A byte count for messages: MB with enough precision to tell two sizes apart."""
    if n_bytes >= 1e6:
        return f"{n_bytes / 1e6:.1f} MB"
    return f"{n_bytes / 1e3:.1f} KB" if n_bytes >= 1e3 else f"{n_bytes} bytes"


#: Direction overrides and isolates, which could make a name read differently from what it is.
_BIDI_CONTROLS = "\u202e\u202d\u202a\u202b\u202c\u2066\u2067\u2068\u2069"


def _display_name(filename: str) -> str:
    """A file name fit to show in messages: the last path part, printable, at most 120 characters."""
    name = str(filename).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable() and ch not in _BIDI_CONTROLS)
    return (name or "upload")[:120]
