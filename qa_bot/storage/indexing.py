"""Writing articles into the index: chunk, embed, record in the registry, upsert into Chroma.

This is the one path by which vectors reach the index — new articles, replacements, repairs and
rebuilds all go through :class:`ArticleIndexer`. It takes no lock: callers hold the data folder's
write lock (see :class:`~qa_bot.storage.store.Store`).

Articles are written in groups. For each group the registry first records the articles as
``pending`` (with their chunks' sentence spans and vectors), then the chunks are upserted, then
the articles are marked ``indexed``. Search only sees ``indexed`` articles, so an interrupted
group leaves nothing half-visible and the next open's repair finishes it. While one group is written,
the next one is embedded on a worker thread (:meth:`ArticleIndexer.prepared`): the model's threads
release the GIL, so registry, BM25 and Chroma work overlap with embedding.
"""

from __future__ import annotations

import threading

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, wait
from queue import SimpleQueue
from dataclasses import dataclass

import numpy as np

from qa_bot.config import Settings
from qa_bot.embeddings import Embedder, embed_with_spans
from qa_bot.ingest.chunking import Chunker, embedding_text
from qa_bot.models import Article, Chunk, day_number
from qa_bot.progress import Progress
from qa_bot.storage.index import ChunkIndex
from qa_bot.storage.registry import Registry
from qa_bot.text.sentences import sentence_spans
from qa_bot.understanding.entities import chunk_mentions

#: ``on_article(article_id, "added" | "updated")``, called as each article is committed.
OnArticle = Callable[[str, str], None]


def forward_only(report: Callable[[int], None]) -> Callable[[int], None]:
    """``report`` called only with counts at or above the last one: embedding (ahead) and writing (behind)
    both report, and a progress bar must never step back."""
    lock, last = threading.Lock(), [-1]

    def forward(n: int) -> None:
        with lock:
            if n < last[0]:
                return
            last[0] = n
        report(n)

    return forward


class ArticleIndexer:
    """Chunks, embeds and writes articles to the registry and a chunk index.

    Args:
        settings: chunk sizes and the embedding batch size.
        embedder: the embedding model (its tokenizer also sizes the chunks).
        registry: where articles, chunk spans and sentence vectors are recorded.
    """

    def __init__(self, settings: Settings, embedder: Embedder, registry: Registry) -> None:
        self.settings = settings
        self.embedder = embedder
        self.registry = registry
        self._chunker: Chunker | None = None

    @property
    def chunker(self) -> Chunker:
        """The chunker, built on first use (counting tokens needs the embedder's tokenizer)."""
        if self._chunker is None:
            self._chunker = Chunker(
                count_tokens=self.embedder.count_tokens,
                max_tokens=self.settings.chunk_max_tokens,
                target_tokens=self.settings.chunk_target_tokens,
            )
        return self._chunker

    def write(self, index: ChunkIndex, items: list[tuple[Article, str]], progress: Progress, label: str,
              on_article: OnArticle | None = None, replacing: set[str] | None = None) -> int:
        """Chunk, embed and write articles in groups; each group becomes visible atomically.

        Args:
            index: the chunk index to write to.
            items: ``(article, origin)`` pairs.
            progress: called with chunks done, chunks in all, and ``label``.
            label: what the progress callback shows.
            on_article: called as each article is committed.
            replacing: ids of articles that were already in the registry (reported as ``updated``).

        Returns:
            the number of chunks written.
        """
        done = 0
        groups = self.groups(items)
        total = sum(len(c) for g in groups for _, _, c in g)
        report = forward_only(lambda n: progress(n, total, label))
        report(0)
        for _, prepared in self.prepared(groups, report):
            done += self.commit(index, prepared, replacing or set(), on_article)
            report(done)
        return done

    def prepared(self, groups: list[list[tuple[Article, str, list[Chunk]]]],
                 on_chunks: Callable[[int], None] | None = None) -> Iterator[tuple[list, PreparedGroup]]:
        """``(group, prepared group)`` in order; the next group is embedded in the background while the
        caller writes this one. While it waits for a group, ``on_chunks(n)`` is told (from the calling
        thread: a progress bar may not be drawn from another one) how many chunks of all the groups are
        embedded so far. Stopping early (an error, Ctrl-C) abandons at most one embedding."""
        if not groups:
            return
        starts = [sum(len(c) for g in groups[:i] for _, _, c in g) for i in range(len(groups))]
        embedded: SimpleQueue[int] = SimpleQueue()  # counts from the embedding thread, reported by this one

        def embed(i: int) -> PreparedGroup:
            return self.prepare(groups[i], lambda n: embedded.put(starts[i] + n))

        def report_embedded() -> None:
            while not embedded.empty():
                on_chunks(embedded.get())

        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="qa-bot-embed")
        try:
            ahead = pool.submit(embed, 0)
            for i, group in enumerate(groups):
                while on_chunks is not None and not ahead.done():
                    wait([ahead], timeout=0.2)
                    report_embedded()
                if on_chunks is not None:
                    report_embedded()
                ready = ahead.result()
                if i + 1 < len(groups):
                    ahead = pool.submit(embed, i + 1)
                yield group, ready
        finally:
            pool.shutdown(wait=False, cancel_futures=True)

    def groups(self, items: list[tuple[Article, str]]) -> list[list[tuple[Article, str, list[Chunk]]]]:
        """The items chunked, in groups of about ``4 x embed_batch_size`` chunks (at least 64)."""
        out: list[list[tuple[Article, str, list[Chunk]]]] = []
        group: list[tuple[Article, str, list[Chunk]]] = []
        group_size = max(self.settings.embed_batch_size * 4, 64)
        for article, origin in items:
            group.append((article, origin, self.chunker.split(article)))
            if sum(len(c) for _, _, c in group) >= group_size:
                out.append(group)
                group = []
        if group:
            out.append(group)
        return out

    def prepare(self, group: list[tuple[Article, str, list[Chunk]]],
                on_chunks: Callable[[int], None] | None = None) -> PreparedGroup:
        """Embed a group's chunks and their sentences, and find their entities — the slow part, which needs
        no lock.

        The group is read a few articles at a time (about ``embed_batch_size`` chunks); ``on_chunks(n)`` is
        told after each how many of the group's chunks are done, so a progress bar moves within a group.
        """
        rows: dict[str, int] = {}
        sentences: dict[str, tuple] = {}
        parts: list[np.ndarray] = []
        for part in _batches(group, max(self.settings.embed_batch_size, 1)):
            titles = {a.id: a.title for a, _, _ in part}
            chunks = [c for _, _, cs in part for c in cs]
            rel_spans = [s for a, _, cs in part for s in chunk_sentence_spans(a.text, cs)]
            mentions = chunk_mentions(part, rel_spans)  # named entities and speakers, stored per sentence
            # Chunks are embedded with their article's title in front: shift sentence spans past it.
            shifts = [len(titles[c.article_id]) + 1 if titles[c.article_id] else 0 for c in chunks]
            vectors, sentence_vectors = embed_with_spans(
                self.embedder, [embedding_text(titles[c.article_id], c.text) for c in chunks],
                [[(s + d, e + d) for s, e in spans] for spans, d in zip(rel_spans, shifts)],
                batch_size=self.settings.embed_batch_size)
            for i, c in enumerate(chunks):
                rows[c.id] = len(rows)
                sentences[c.id] = (rel_spans[i], sentence_vectors[i], mentions[i])
            parts.append(vectors)
            if on_chunks:
                on_chunks(len(rows))
        return PreparedGroup(group, rows, np.concatenate(parts) if parts else np.zeros((0, 0), np.float32), sentences)

    def commit(self, index: ChunkIndex, prepared: PreparedGroup, replacing: set[str],
               on_article: OnArticle | None = None) -> int:
        """Write a prepared group: registry rows as pending, chunks upserted, then the articles visible.

        The caller holds the write lock. Returns the number of chunks written.
        """
        group = prepared.group
        if not group:
            return 0
        chunks = [c for _, _, cs in group for c in cs]
        self.registry.mark_pending(group, {c.id: prepared.sentences[c.id] for c in chunks})
        stale = [a.id for a, _, _ in group]
        index.delete_articles(stale)  # a replaced article may now have fewer chunks
        meta = {a.id: chunk_metadata(a) for a, _, _ in group}
        index.upsert(
            [c.id for c in chunks], prepared.vectors[[prepared.rows[c.id] for c in chunks]], [c.text for c in chunks],
            [dict(meta[c.article_id], n=c.n, start=c.start, end=c.end) for c in chunks],
        )
        self.registry.mark_indexed(stale)
        if on_article:
            for aid in stale:
                on_article(aid, "updated" if aid in replacing else "added")
        return len(chunks)


@dataclass
class PreparedGroup:
    """A group of articles with their chunks embedded, ready to :meth:`ArticleIndexer.commit`.

    ``group`` may be narrowed (``only``) before the commit; the vectors stay addressed by chunk id.
    """

    group: list[tuple[Article, str, list[Chunk]]]
    rows: dict[str, int]
    vectors: np.ndarray
    sentences: dict[str, tuple]

    def only(self, article_ids: set[str]) -> PreparedGroup:
        """The same group restricted to these articles."""
        return PreparedGroup([g for g in self.group if g[0].id in article_ids], self.rows, self.vectors, self.sentences)

    @property
    def n_chunks(self) -> int:
        """Chunks in the group."""
        return sum(len(c) for _, _, c in self.group)


def _batches(group: list[tuple[Article, str, list[Chunk]]], size: int) -> list[list[tuple[Article, str, list[Chunk]]]]:
    """Consecutive runs of the group's articles holding about ``size`` chunks each (whole articles)."""
    out: list[list[tuple[Article, str, list[Chunk]]]] = [[]]
    for item in group:
        if out[-1] and sum(len(c) for _, _, c in out[-1]) + len(item[2]) > size:
            out.append([])
        out[-1].append(item)
    return [b for b in out if b]


def chunk_sentence_spans(text: str, chunks: list[Chunk]) -> list[list[tuple[int, int]]]:
    """For each chunk, its sentences as offsets relative to the chunk (the article's own sentence split)."""
    spans = sentence_spans(text)
    out = []
    for c in chunks:
        inside = [(s - c.start, e - c.start) for s, e in spans if s >= c.start and e <= c.end]
        out.append(inside or [(0, len(c.text))])  # a piece of an over-long sentence
    return out


def chunk_metadata(article: Article) -> dict:
    """Article fields flattened for Chroma filters (``published_day`` makes dates range-filterable)."""
    return {
        "article_id": article.id,
        "title": article.title,
        "outlet": article.outlet,
        "url": article.url,
        "published": article.published.isoformat() if article.published else "",
        "published_day": day_number(article.published),
        "author": article.author,
    }
