"""The systems an eval can run: qa-bot itself, and the textbook LangChain pipeline as a reference.

Each system builds (or reuses) its own index in a folder keyed by the corpus content and the
settings that shape the index, so an eval never touches the user's index and a second run on
the same corpus starts at once.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Protocol

import numpy as np

from qa_bot.config import Settings
from qa_bot.embeddings import Embedder
from qa_bot.errors import InputError, LoaderError
from qa_bot.ingest.loaders import expand_paths, load_path
from qa_bot.models import Answer, Article, Citation, Hit, Passage, Sentence
from qa_bot.progress import Progress, no_progress
from qa_bot.text.sentences import sentence_spans

BASELINE_CHUNK_SIZE, BASELINE_CHUNK_OVERLAP, BASELINE_K = 1000, 200, 4


class System(Protocol):
    """What the eval runner needs from a question-answering system."""

    name: str
    embedder: Embedder

    def prepare(self, articles: list[Article], progress: Progress = no_progress) -> None:
        """Build or reuse the index for ``articles``."""

    def ask(self, question: str, history: list, k: int | None) -> Answer:
        """Answer one question."""


def load_corpus(path: Path) -> list[Article]:
    """Articles of a corpus folder or a JSONL bulk file.

    Raises:
        InputError: the path does not exist or a file in it cannot be read.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such corpus folder or file")
    articles: list[Article] = []
    for file in expand_paths([path]):
        try:
            articles.extend(load_path(file))
        except LoaderError as err:
            raise InputError(f"corpus {err}") from None
    if not articles:
        raise InputError(f"{path}: the corpus has no articles")
    return articles


def corpus_key(articles: list[Article], *parts: str) -> str:
    """A hash of the corpus content and whatever else shapes the index."""
    h = hashlib.sha256()
    for a in sorted(articles, key=lambda a: a.id):
        h.update(f"{a.id}:{a.content_hash}\n".encode())
    for p in parts:
        h.update(p.encode())
    return h.hexdigest()


class QABotSystem:
    """qa-bot as configured (the extractive answerer unless an LLM is configured)."""

    name = "qa-bot"

    def __init__(self, settings: Settings, embedder: Embedder) -> None:
        self.settings = settings
        self.embedder = embedder
        self.bot = None

    def prepare(self, articles: list[Article], progress: Progress = no_progress) -> None:
        """Index ``articles`` in a folder of their own (reused when the same corpus and settings come again)."""
        from qa_bot.bot import QABot

        s = self.settings
        key = corpus_key(articles, self.embedder.name, str(s.chunk_max_tokens), str(s.chunk_target_tokens))
        data_dir = s.data_dir / "eval-indexes" / f"qa-bot-{key[:16]}"
        self.bot = QABot(s.model_copy(update={"data_dir": data_dir, "chroma_host": None}), embedder=self.embedder)
        self.bot.open(progress)
        self.bot.store.sync_corpus(articles, progress)

    def ask(self, question: str, history: list, k: int | None) -> Answer:
        """The bot's answer, exactly as ``qa-bot ask`` gives it."""
        return self.bot.ask(question, k=k, history=history)

    def describe(self) -> dict:
        """The settings that shape this system's answers, for the run file."""
        from qa_bot.answering.llm import llm_label

        return {"answerer": llm_label(self.settings), "top_k": self.settings.top_k}


class BaselineSystem:
    """The pipeline most LangChain tutorials build — a reference point, not a product feature.

    ``RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)``, the same embedder,
    Chroma similarity search with k=4; the "answer" is the best-matching sentence of the first
    retrieved chunk, and it never abstains.
    """

    name = "baseline"

    def __init__(self, settings: Settings, embedder: Embedder) -> None:
        self.settings = settings
        self.embedder = embedder
        self.store = None
        self._texts: dict[str, str] = {}

    def prepare(self, articles: list[Article], progress: Progress = no_progress) -> None:
        """Split, embed and store ``articles`` the textbook way (a Chroma collection of its own)."""
        from langchain_chroma import Chroma
        from langchain_core.documents import Document
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        from qa_bot.embeddings import as_langchain_embeddings
        from qa_bot.storage.index import chroma_settings

        self._texts = {a.id: a.text for a in articles}
        key = corpus_key(articles, self.embedder.name, f"recursive-{BASELINE_CHUNK_SIZE}-{BASELINE_CHUNK_OVERLAP}")
        folder = self.settings.data_dir / "eval-indexes" / f"baseline-{key[:16]}"
        done_marker = folder / "complete"
        import chromadb

        client = chromadb.PersistentClient(path=str(folder / "chroma"), settings=chroma_settings())
        self.store = Chroma(collection_name="baseline", embedding_function=as_langchain_embeddings(self.embedder),
                            client=client, collection_metadata={"hnsw:space": "cosine"})
        if done_marker.exists():
            return
        splitter = RecursiveCharacterTextSplitter(chunk_size=BASELINE_CHUNK_SIZE, chunk_overlap=BASELINE_CHUNK_OVERLAP,
                                                  add_start_index=True)
        docs = splitter.split_documents([
            Document(page_content=a.text, metadata={"article_id": a.id, "title": a.title, "outlet": a.outlet,
                                                    "url": a.url,
                                                    "published": a.published.isoformat() if a.published else ""})
            for a in articles
        ])
        ids = [f"{d.metadata['article_id']}:{i}" for i, d in enumerate(docs)]
        progress(0, len(docs), "Embedding chunks (baseline)")
        for i in range(0, len(docs), 256):
            self.store.add_documents(docs[i : i + 256], ids=ids[i : i + 256])
            progress(min(i + 256, len(docs)), len(docs), "Embedding chunks (baseline)")
        done_marker.write_text(json.dumps({"chunks": len(docs)}))

    def ask(self, question: str, history: list, k: int | None) -> Answer:
        """Similarity search, then the first chunk's best sentence as the answer (never abstains)."""
        results = self.store.similarity_search_with_score(question, k=BASELINE_K)
        hits = []
        for rank, (doc, distance) in enumerate(results, start=1):
            m = doc.metadata
            start = int(m.get("start_index", 0))
            passage = Passage(chunk_id=f"{m['article_id']}:{start}", article_id=m["article_id"], text=doc.page_content,
                              start=start, end=start + len(doc.page_content), title=m.get("title", ""),
                              outlet=m.get("outlet", ""), url=m.get("url", ""), published=m.get("published", ""))
            hits.append(Hit(passage, score=1.0 - float(distance), dense=1.0 - float(distance), rank=rank))
        if not hits:
            return Answer(question=question, text="", citations=(), abstained=False, answerer=self.name)
        first = hits[0].passage
        spans = sentence_spans(first.text) or [(0, len(first.text))]
        vectors = self.embedder.embed([question] + [first.text[s:e] for s, e in spans])
        best = int(np.argmax(vectors[1:] @ vectors[0]))
        s, e = spans[best]
        quote = first.text[s:e]
        citation = Citation(n=1, chunk_id=first.chunk_id, article_id=first.article_id, title=first.title,
                            outlet=first.outlet, published=first.published, url=first.url, quote=quote,
                            start=first.start + s, end=first.start + e)
        return Answer(question=question, text=f"{quote} [1]", citations=(citation,), abstained=False,
                      hits=tuple(hits), sentences=(Sentence(quote, (1,), 1.0),), answerer=self.name)

    def describe(self) -> dict:
        """The splitter and k this baseline uses, for the run file."""
        return {"splitter": f"RecursiveCharacterTextSplitter({BASELINE_CHUNK_SIZE}, {BASELINE_CHUNK_OVERLAP})",
                "top_k": BASELINE_K}


def make_system(name: str, settings: Settings, embedder: Embedder) -> System:
    """``qa-bot`` or ``baseline``.

    Raises:
        InputError: an unknown system name.
    """
    systems = {"qa-bot": QABotSystem, "baseline": BaselineSystem}
    if name not in systems:
        raise InputError(f"unknown system {name!r}; use one of {', '.join(systems)}")
    return systems[name](settings, embedder)
