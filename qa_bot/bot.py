"""QABot: the one facade the CLI, the app and the evals call."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from qa_bot.answering import ExtractiveAnswerer
from qa_bot.understanding.condense import Condensed, condense, normalize_history
from qa_bot.config import Settings
from qa_bot.embeddings import Embedder, make_embedder
from qa_bot.errors import InputError, LoaderError, QABotError
from qa_bot.ingest.loaders import expand_paths, load_bytes, load_path, load_text
from qa_bot.models import Answer, Article, Hit
from qa_bot.params import AnswerParams, Params, load_params
from qa_bot.storage.registry import ORIGIN_ADDED, ArticleRecord
from qa_bot.understanding.analysis import analyse
from qa_bot.retrieval.retriever import Filters, HybridRetriever, make_langchain_retriever
from qa_bot.storage.store import Progress, Recovery, Store, WriteReport, _no_progress
from qa_bot.text.tokens import content_words

log = logging.getLogger(__name__)


@dataclass
class AddResult:
    """The outcome of adding several inputs: what was written, and each input that was refused."""

    report: WriteReport = field(default_factory=WriteReport)
    errors: list[LoaderError] = field(default_factory=list)
    articles: list[Article] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


class QABot:
    """Ask questions of a news corpus and get cited answers; add and remove documents.

    Args:
        settings: configuration (defaults read from ``QA_BOT_*`` environment variables).
        embedder: the embedding model; the packaged all-MiniLM-L6-v2 by default.
        client: a Chroma client to use instead of the one the settings describe (tests).

    Nothing heavy happens in the constructor: the index opens on first use or :meth:`open`.
    """

    def __init__(self, settings: Settings | None = None, embedder: Embedder | None = None, client=None) -> None:
        self.settings = settings or Settings()
        self.embedder = embedder or make_embedder(self.settings.embed_model)
        self._client = client
        self._store: Store | None = None
        self._open_lock = threading.Lock()
        self.params: Params = load_params()
        self.answerer = ExtractiveAnswerer(self.embedder, _answer_params(self.settings, self.params.answer))

    # ------------------------------------------------------------ lifecycle

    def open(self, progress: Progress = _no_progress) -> Recovery:
        """Open (and if needed repair) the index. Safe to call more than once."""
        with self._open_lock:
            if self._store is None:
                store = Store(self.settings, self.embedder, client=self._client)
                store.open(progress)
                self._store = store
            return self._store.recovery

    @property
    def store(self) -> Store:
        if self._store is None:
            self.open()
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    def is_empty(self) -> bool:
        """True when no article is indexed yet (e.g. before the first ``ingest``)."""
        return self.store.stats()["articles"] == 0

    # ------------------------------------------------------------ corpus

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
        return articles, errors

    def ingest(self, progress: Progress = _no_progress) -> AddResult:
        """Sync the corpus folder into the index: embed new/changed articles, drop deleted ones."""
        articles, errors = self.corpus_articles()
        report = self.store.sync_corpus(articles, progress)
        return AddResult(report=report, errors=errors, articles=articles)

    def add_articles(self, articles: Sequence[Article], progress: Progress = _no_progress,
                     on_article: Callable[[str, str], None] | None = None) -> WriteReport:
        """Add validated articles (kept in the data folder, so a rebuild never loses them)."""
        return self.store.add(articles, ORIGIN_ADDED, progress, on_article)

    def add_paths(self, paths: Sequence[Path | str], progress: Progress = _no_progress,
                  on_article: Callable[[str, str], None] | None = None) -> AddResult:
        """Add files and folders; each unreadable input is reported and skipped, the rest are added."""
        result = AddResult()
        max_bytes = int(self.settings.max_upload_mb * 1e6)
        for path in expand_paths([Path(p) for p in paths]):
            try:
                result.articles.extend(load_path(path, max_bytes=None if path.suffix == ".jsonl" else max_bytes))
            except LoaderError as err:
                result.errors.append(err)
        if result.articles:
            result.report = self.add_articles(result.articles, progress, on_article)
        return result

    def add_upload(self, data: bytes, filename: str, progress: Progress = _no_progress) -> AddResult:
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
        return AddResult(report=self.add_articles(articles, progress), articles=articles)

    def add_text(self, text: str, *, title: str = "", outlet: str = "", url: str = "", published=None,
                 author: str = "", progress: Progress = _no_progress) -> AddResult:
        """Add pasted text with its metadata."""
        try:
            article = load_text(text, title=title, outlet=outlet, url=url, published=published, author=author)
        except LoaderError as err:
            return AddResult(errors=[err])
        return AddResult(report=self.add_articles([article], progress), articles=[article])

    def add_url(self, url: str, progress: Progress = _no_progress) -> AddResult:
        """Fetch a web page (http/https, public addresses unless settings allow private) and add it."""
        from qa_bot.ingest.fetch import fetch_article

        try:
            article = fetch_article(url, self.settings)
        except LoaderError as err:
            return AddResult(errors=[err])
        return AddResult(report=self.add_articles([article], progress), articles=[article])

    def remove(self, article_id: str) -> None:
        """Delete an article and all its chunks (bundled articles come back on the next ``ingest``)."""
        self.store.remove([article_id])

    def overview(self) -> dict:
        """Cheap facts for a sidebar: article and chunk counts, outlet names, the date range (no texts loaded)."""
        store = self.store
        stats = store.stats()
        return {"articles": stats["articles"], "chunks": stats["chunks"], "outlets": store.outlets(),
                "dates": store.registry.date_range()}

    def articles(self) -> list[ArticleRecord]:
        return self.store.articles()

    def article(self, article_id: str) -> ArticleRecord:
        return self.store.article(article_id)

    # ------------------------------------------------------------ asking

    def check_question(self, question: str, k: int | None) -> int:
        """Validate a question and ``k``; returns the ``k`` to use.

        Raises:
            InputError: empty or over-long question, ``k`` out of range.
        """
        if not question or not question.strip():
            raise InputError("the question is empty; type a question about the coverage")
        if len(question) > self.settings.max_question_chars:
            raise InputError(f"the question is {len(question):,} characters; the limit is "
                             f"{self.settings.max_question_chars:,}. Ask something shorter")
        k = self.settings.top_k if k is None else k
        if not 1 <= k <= self.settings.max_k:
            raise InputError(f"k must be between 1 and {self.settings.max_k} (got {k})")
        return k

    def search(self, query: str, k: int | None = None, filters: Filters = Filters()) -> list[Hit]:
        """Retrieved passages for ``query``, best first."""
        k = self.check_question(query, k)
        analysis = analyse(query, self.store.outlets(), default_year=self.store.typical_year())
        return self.retriever.search(query, k, filters, analysis=analysis)

    @property
    def retriever(self) -> HybridRetriever:
        """Hybrid (dense + BM25) retrieval over this bot's store."""
        weights = self.params.fusion
        if self.settings.ablated("hybrid"):
            weights = replace(weights, lexical=0.0)
        return HybridRetriever(self.store, self.embedder, weights=weights)

    def ask(self, question: str, k: int | None = None, filters: Filters = Filters(), history=None, *,
            answerer: str | None = None) -> Answer:
        """Answer ``question`` from the index, citing every sentence, or abstain.

        Args:
            question: the user's question.
            k: passages to retrieve (``settings.top_k`` by default).
            filters: outlet and date restrictions.
            history: earlier turns, for follow-up questions (see :mod:`qa_bot.understanding.condense`).
            answerer: ``"extractive"``, ``"ollama:MODEL"`` or ``"openai:MODEL"``; ``settings.llm`` by default.

        Raises:
            InputError: an empty or over-long question, ``k`` out of range.
            ConfigError: an unknown answerer, or an LLM whose integration package is not installed.
        """
        if self._llm_spec(answerer) is None:
            return self._ask_extractive(question, k, filters, history)
        answer = None
        for item in self._stream_llm(question, k, filters, history, answerer):
            if isinstance(item, Answer):
                answer = item
        return answer

    def stream(self, question: str, k: int | None = None, filters: Filters = Filters(), history=None, *,
               answerer: str | None = None) -> Iterator[str | Answer]:
        """Yield the answer text in pieces as it is ready, then the complete :class:`Answer`.

        With an LLM the pieces are the model's words as it writes them; the final ``Answer`` is the
        verified one (its text may differ: unsupported sentences flagged or removed, renumbered
        citations, or the extractive answer with a notice when the model failed).
        """
        if self._llm_spec(answerer) is None:
            answer = self.ask(question, k, filters, history, answerer=answerer)
            for piece in _pieces(answer.text):
                yield piece
            yield answer
            return
        yield from self._stream_llm(question, k, filters, history, answerer)

    def _ask_extractive(self, question: str, k: int | None, filters: Filters, history, turn: Condensed | None = None,
                        ) -> Answer:
        """The extractive answer (also the LLM's passages and its fallback)."""
        k = self.check_question(question, k)
        store = self.store
        t0 = time.perf_counter()
        s = self.settings
        outlets = store.outlets()
        turn = turn or condense(question, [] if s.ablated("followup") else history, outlets)
        analysis = analyse(turn.question, outlets, default_year=store.typical_year())
        if s.ablated("speaker"):
            analysis = replace(analysis, speaker="", speaker_tokens=frozenset(), is_quote_question=False)
        if s.ablated("question"):
            analysis = replace(analysis, outlets=(), dates=(), answer_type="")
        vector = self.embedder.embed([turn.question])[0]
        t1 = time.perf_counter()
        pool_size = k if s.ablated("rerank") else max(k, self.answerer.params.rerank_pool)
        pool = self.retriever.search(turn.question, pool_size, filters, analysis=analysis, query_vector=vector)
        t2 = time.perf_counter()
        answer = self.answerer.answer(turn.question, pool, k=k, analysis=analysis, query_vector=vector,
                                      sentence_index=store.sentence_index(pool), carried_terms=turn.carried_terms,
                                      corpus_stats=store.term_statistics(analysis.topic_terms))
        t3 = time.perf_counter()
        timings = {"understand": (t1 - t0) * 1e3, "retrieve": (t2 - t1) * 1e3, "answer": (t3 - t2) * 1e3,
                   "total": (t3 - t0) * 1e3}
        return replace(answer, question=question,
                       condensed_question=turn.question if turn.question != question else "", timings_ms=timings)

    def _llm_spec(self, answerer: str | None):
        """The LLM to answer with, or None for the extractive answerer."""
        from qa_bot.answering.llm import parse_llm

        return parse_llm(self.settings.llm if answerer is None else answerer)

    def _llm_answerer(self, answerer: str | None):
        """The LLM answerer for ``answerer`` (built once per backend; the chat model connects lazily)."""
        from qa_bot.answering.llm import LLMAnswerer, make_chat_model
        from qa_bot.answering.verify import Verifier

        spec = self._llm_spec(answerer)
        cache = self.__dict__.setdefault("_llm_answerers", {})
        if spec not in cache:
            cache[spec] = LLMAnswerer(make_chat_model(self.settings, spec), Verifier(self.embedder), self.settings,
                                      spec.label)
        return cache[spec]

    def _stream_llm(self, question: str, k: int | None, filters: Filters, history, answerer: str | None,
                    ) -> Iterator[str | Answer]:
        """Retrieve as the extractive path does, then stream the LLM's answer and verify it.

        A model failure during condensation skips generation: the server just failed, so the
        extractive answer comes back at once with the notice.
        """
        from qa_bot.answering.llm import describe_failure

        self.check_question(question, k)
        llm = self._llm_answerer(answerer)
        t0 = time.perf_counter()
        turns = [] if self.settings.ablated("followup") else normalize_history(history)
        turn, notice = None, ""
        if turns:
            try:
                rewritten = llm.condense(question, turns)
                carried = tuple(w for w in content_words(rewritten) if w not in set(content_words(question)))
                turn = Condensed(rewritten, carried, True)
            except QABotError as exc:
                log.info("LLM condensation unusable: %s", exc)
            except Exception as exc:  # noqa: BLE001 - reported to the user as the notice
                notice = describe_failure(exc, llm.name, self.settings)
        fallback = self._ask_extractive(question, k, filters, history, turn)
        if notice:
            yield replace(fallback, notice=notice)
            return
        t1 = time.perf_counter()
        for item in llm.stream(fallback.condensed_question or question, fallback):
            if isinstance(item, Answer):
                timings = dict(fallback.timings_ms, generate=(time.perf_counter() - t1) * 1e3,
                               total=(time.perf_counter() - t0) * 1e3)
                item = replace(item, question=question, condensed_question=fallback.condensed_question,
                               timings_ms=timings)
            yield item

    def as_retriever(self, k: int | None = None, filters: Filters = Filters()):
        """This bot's retrieval as a LangChain ``BaseRetriever`` returning ``Document`` objects."""
        return make_langchain_retriever(self.search, k or self.settings.top_k, filters)


def _answer_params(settings: Settings, params: AnswerParams) -> AnswerParams:
    """The tuned answering parameters, with the settings' overrides applied."""
    overrides = {}
    if settings.support_threshold is not None:
        overrides["support_threshold"] = settings.support_threshold
    if settings.answer_sentences is not None:
        overrides["max_sentences"] = settings.answer_sentences
    if settings.ablated("abstention"):
        overrides["abstain"], overrides["support_threshold"] = {}, 0.0
    return replace(params, **overrides) if overrides else params


def _size(n_bytes: int) -> str:
    """A byte count for messages: MB with enough precision to tell two sizes apart."""
    if n_bytes >= 1e6:
        return f"{n_bytes / 1e6:.1f} MB"
    return f"{n_bytes / 1e3:.1f} KB" if n_bytes >= 1e3 else f"{n_bytes} bytes"


def _pieces(text: str) -> Iterator[str]:
    """Word-sized pieces of ``text`` that concatenate back to it exactly."""
    start = 0
    for i, ch in enumerate(text):
        if ch == " ":
            yield text[start : i + 1]
            start = i + 1
    if start < len(text):
        yield text[start:]


def _display_name(filename: str) -> str:
    """A file name fit to show in messages: the last path part, printable, at most 120 characters."""
    name = str(filename).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable() and ch not in "\u202e\u202d\u202a\u202b\u202c\u2066\u2067\u2068\u2069")
    return (name or "upload")[:120]
