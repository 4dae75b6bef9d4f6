"""QABot: the one facade the CLI, the app and the evals call.

Asking lives here (validation, retrieval, the extractive and LLM answerers, streaming); adding,
listing and removing documents is the :class:`~qa_bot.documents.Documents` half it inherits.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import replace

from qa_bot.answering import ExtractiveAnswerer, PreparedQuestion
from qa_bot.understanding.condense import Condensed, condense, normalize_history
from qa_bot.config import Settings
from qa_bot.documents import Documents
from qa_bot.embeddings import Embedder, make_embedder
from qa_bot.errors import InputError, LoaderError, QABotError
from qa_bot.ingest.article import check_unicode
from qa_bot.models import Answer, Hit
from qa_bot.params import AnswerParams, Params, load_params
from qa_bot.understanding.analysis import analyse
from qa_bot.retrieval.filters import Filters
from qa_bot.retrieval.langchain import make_langchain_retriever, reader_compressor_class
from qa_bot.retrieval.reranking import RankedPassage, rank_prepared
from qa_bot.retrieval.retriever import HybridRetriever
from qa_bot.progress import Progress, no_progress
from qa_bot.storage.recovery import Recovery
from qa_bot.storage.store import Store
from qa_bot.text.tokens import content_words

log = logging.getLogger(__name__)


class QABot(Documents):
    """Ask questions of a news corpus and get cited answers; add and remove documents.

    Args:
        settings: configuration (defaults read from ``QA_BOT_*`` environment variables).
        embedder: the embedding model; the packaged all-MiniLM-L6-v2 by default.
        client: a Chroma client to use instead of the one the settings describe (tests).
        serve_index: this is a long-lived process (the app): serve the embedded index to ``qa-bot``
            commands on the same data folder while it runs (unless ``QA_BOT_SHARE_INDEX=false``).

    Nothing heavy happens in the constructor: the index opens on first use or :meth:`open`.
    """

    def __init__(self, settings: Settings | None = None, embedder: Embedder | None = None, client=None,
                 serve_index: bool = False) -> None:
        self.settings = settings or Settings()
        self._serve_index = serve_index and self.settings.share_index
        self.embedder = embedder or make_embedder(self.settings.embed_model)
        self._client = client
        self._store: Store | None = None
        self._open_lock = threading.Lock()
        self.params: Params = load_params()
        reader = _make_reader(self.settings)
        self.answerer = ExtractiveAnswerer(
            self.embedder, _answer_params(self.settings, self.params.answer.for_reader(reader is not None)), reader=reader)

    # ------------------------------------------------------------ lifecycle

    def open(self, progress: Progress = no_progress) -> Recovery:
        """Open (and if needed repair) the index. Safe to call more than once."""
        with self._open_lock:
            if self._store is None:
                store = Store(self.settings, self.embedder, client=self._client,
                              corpus=lambda: self.corpus_articles()[0], serve=self._serve_index)
                store.open(progress)
                self._store = store
            return self._store.recovery

    @property
    def store(self) -> Store:
        """The index and article registry, opened (and repaired) on first use."""
        if self._store is None:
            self.open()
        return self._store

    def warm_up(self) -> Recovery:
        """Open the index and load the embedding model now, so the first question does not wait for them."""
        recovery = self.open()
        warm_up = getattr(self.embedder, "warm_up", None)  # fakes and the hashing embedder have nothing to load
        if warm_up:
            warm_up()
        if self.answerer.reader is not None:
            self.answerer.reader.warm_up()
        return recovery

    def close(self) -> None:
        """Release the index (other processes may then write to the data folder). Reopens on next use."""
        if self._store is not None:
            self._store.close()
            self._store = None

    # ------------------------------------------------------------ asking

    def check_question(self, question: str, k: int | None) -> int:
        """Validate a question and ``k``; returns the ``k`` to use.

        Raises:
            InputError: empty or over-long question, ``k`` out of range.
        """
        if not question or not question.strip():
            raise InputError("the question is empty; type a question about the coverage")
        try:
            check_unicode(question, "the question", "question")
        except LoaderError as err:  # a lone surrogate (from JSON or a badly decoded argument) would break the model
            raise InputError(err.reason) from None
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

    def prepare_question(self, question: str, k: int | None = None, filters: Filters = Filters(), history=None,
                         turn: Condensed | None = None) -> PreparedQuestion:
        """The extractive answerer's inputs for ``question``: the understanding and retrieval steps of :meth:`ask`.

        Condenses a follow-up into a standalone question (unless ``turn`` is given), analyses and
        embeds it, retrieves the pool the answerer re-ranks, and reads the pool's stored sentences
        and the index's term statistics. ``eval/tune.py`` calls this, so fitted weights see
        exactly what the pipeline gives the answerer.

        Raises:
            InputError: an empty or over-long question, ``k`` out of range.
        """
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
        sentence_index, stats = store.sentence_index(pool), store.term_statistics(analysis.topic_terms)
        t2 = time.perf_counter()
        return PreparedQuestion(turn, analysis, vector, tuple(pool), sentence_index, stats, k,
                                {"understand": (t1 - t0) * 1e3, "retrieve": (t2 - t1) * 1e3})

    def _ask_extractive(self, question: str, k: int | None, filters: Filters, history, turn: Condensed | None = None,
                        ) -> Answer:
        """The extractive answer (also the LLM's passages and its fallback)."""
        prepared = self.prepare_question(question, k, filters, history, turn)
        t0 = time.perf_counter()
        answer = self.answerer.answer_prepared(prepared)
        spent = (time.perf_counter() - t0) * 1e3
        timings = dict(prepared.timings_ms, answer=spent, total=sum(prepared.timings_ms.values()) + spent)
        turn = prepared.turn
        return replace(answer, question=question,
                       condensed_question=turn.question if turn.question != question else "", timings_ms=timings)

    def uses_llm(self, answerer: str | None = None) -> bool:
        """True when ``answerer`` (``settings.llm`` if None) is a language model rather than the extractive one.

        Raises:
            ConfigError: an unknown answerer.
        """
        return self._llm_spec(answerer) is not None

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

    def as_retriever(self, k: int | None = None, filters: Filters = Filters(), *, rank: str = "reader"):
        """This bot's retrieval as a LangChain ``BaseRetriever`` returning ``Document`` objects.

        Args:
            k: documents per query (``settings.top_k`` by default).
            filters: outlet and date restrictions applied to every query.
            rank: ``"reader"`` (the default): retrieve as :meth:`ask` does (question analysis, the
                wider pool) and return the ``k`` passages whose best sentence the answerer — its
                learned reader and fitted sentence model — scores highest, each document's metadata
                adding ``answer_sentence``, ``answer_start``/``answer_end`` (offsets in
                ``page_content``), ``answer_score`` and ``answers`` (see
                :func:`qa_bot.retrieval.langchain.answer_metadata`). ``"hybrid"``: the plain dense + BM25
                top ``k`` (:meth:`search`), citation metadata only.

        Raises:
            InputError: an unknown ``rank``.
        """
        if rank == "hybrid":
            return make_langchain_retriever(self.search, k or self.settings.top_k, filters)
        if rank != "reader":
            raise InputError(f"unknown rank {rank!r}; use 'reader' (answer-aware) or 'hybrid' (plain retrieval)")

        def reader_ranked(query: str, k: int, filters: Filters) -> list[RankedPassage]:
            return rank_prepared(self.answerer, self.prepare_question(query, k, filters))[:k]

        return make_langchain_retriever(reader_ranked, k or self.settings.top_k, filters)

    def as_compressor(self, top_n: int | None = None, min_score: float | None = None):
        """The answerer's reader ranking as a LangChain ``BaseDocumentCompressor`` for any retriever's documents.

        ``compress_documents(docs, query)`` orders ``docs`` by the sentence of each that best answers
        ``query``, drops those scoring below ``min_score`` (none when None), keeps ``top_n`` (all when
        None) and adds the metadata ``as_retriever`` adds (see
        :func:`qa_bot.retrieval.langchain.reader_compressor_class`).

        Raises:
            ValueError: ``top_n`` below 1 or ``min_score`` outside 0-1.
        """
        return reader_compressor_class()(self, top_n=top_n, min_score=min_score)


def _make_reader(settings: Settings):
    """The learned reader (loaded on first use), or None when the settings switch it off."""
    if not settings.reader or settings.ablated("reader"):
        return None
    from qa_bot.answering.reader import Reader

    return Reader()


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


def _pieces(text: str) -> Iterator[str]:
    """Word-sized pieces of ``text`` that concatenate back to it exactly."""
    start = 0
    for i, ch in enumerate(text):
        if ch == " ":
            yield text[start : i + 1]
            start = i + 1
    if start < len(text):
        yield text[start:]
