"""Writing in groups: the next group is embedded while this one is written."""

from __future__ import annotations

import threading

from qa_bot.ingest.loaders import load_text
from qa_bot.storage.store import Store

from tests.fakes import HashEmbedder


class GroupWatcher(HashEmbedder):
    """Sets ``second_group`` when it is first asked to embed a chunk of the second group."""

    def __init__(self, first_of_second: str) -> None:
        super().__init__()
        self.first_of_second = first_of_second
        self.second_group = threading.Event()

    def embed(self, texts, batch_size=32):
        if any(self.first_of_second in t for t in texts):
            self.second_group.set()
        return super().embed(texts, batch_size)


def test_the_next_group_is_embedded_while_this_one_is_written(settings):
    settings = settings.model_copy(update={"embed_batch_size": 16})  # groups of 64 chunks
    articles = [load_text(f"Delegates met on day {i} to discuss harbour tariffs and ferry schedules.",
                          title=f"Report {i:03d}", url=f"https://example.com/report/{i}") for i in range(130)]
    embedder = GroupWatcher("Report 064")
    store = Store(settings, embedder)
    store.open()
    overlapped = []

    def committed(article_id: str, kind: str) -> None:
        if not overlapped:  # the first article of the first group: is the second group being embedded?
            overlapped.append(embedder.second_group.wait(timeout=10))

    report = store.add(articles, on_article=committed)
    store.close()
    assert overlapped == [True]
    assert report.chunks_written == 130 and len(report.added) == 130
