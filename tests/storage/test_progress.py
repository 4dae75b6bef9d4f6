"""Progress while indexing moves within a group of articles, not only between groups (the Evals page sat on
"Embedding chunks: 0 of 161" while the first group of 130 chunks was read)."""

from __future__ import annotations

from qa_bot.bot import QABot
from qa_bot.config import Settings
from qa_bot.ingest.article import make_article
from tests.fakes import HashEmbedder


def test_adding_reports_progress_after_each_batch_of_articles(tmp_path, corpus_dir):
    settings = Settings(data_dir=tmp_path / "data", corpus_dir=corpus_dir, embed_batch_size=2, lock_timeout_s=0.2)
    bot = QABot(settings, embedder=HashEmbedder())
    bot.open()
    try:
        articles = [make_article(text=f"Harbour note {i}: the ferry to island {i} ran late on Monday.", source="test",
                                 title=f"Note {i}", outlet="Test Post") for i in range(7)]
        seen: list[tuple[int, int]] = []
        bot.store.add(articles, progress=lambda done, total, label: seen.append((done, total)))
        [total] = {t for _, t in seen}
        assert len(bot.store._indexer.groups([(a, "added") for a in articles])) == 1  # one group of 7 chunks...
        assert [d for d, _ in seen] == [0, 2, 4, 6, 7, 7]  # ...reported two chunks at a time, then committed
        assert total == 7
    finally:
        bot.close()
