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

from qa_bot.answering import PreparedQuestion
from qa_bot.understanding.condense import Condensed, condense, normalize_history
from qa_bot.config import Settings
from qa_bot.documents import Documents
from qa_bot.embeddings import Embedder
from qa_bot.inference.choice import embedder_for, make_answerer
from qa_bot.inference.loading import BackgroundLoad
from qa_bot.errors import InputError, LoaderError, QABotError
from qa_bot.ingest.article import check_unicode
from qa_bot.models import Answer, Hit
from qa_bot.params import Params, load_params
from qa_bot.understanding.analysis import analyse
from qa_bot.retrieval.filters import Filters
from qa_bot.retrieval.langchain import make_langchain_retriever
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
        self.embedder = embedder or embedder_for(self.settings)
        self._client = client
        self._store: Store | None = None
        self._open_lock = threading.Lock()
        self._models: BackgroundLoad | None = None
        self.params: Params = load_params()
        self.answerer = make_answerer(self.settings, self.params.answer)

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

    def reindex(self, progress: Progress = no_progress) -> Recovery:
        """Write every article's vectors again with this bot's embedder: the one way to move an index to
        another embedder (an index never mixes two). Articles are not touched; the index records the new
        embedder first, so an interrupted run is finished, with it, by the next open.

        Raises:
            LockedError: another process has the data folder open (the chat app: close it first).
        """
        with self._open_lock:
            if self._store is not None:
                self._store.close()
                self._store = None
            store = Store(self.settings, self.embedder, client=self._client,
                          corpus=lambda: self.corpus_articles()[0])
            store.open(progress, reembed=True)
            self._store = store
            return store.recovery

    @property
    def store(self) -> Store:
        """The index and article registry, opened (and repaired) on first use."""
        if self._store is None:
            self.open()
        return self._store

    def warm_up(self) -> Recovery:
        """Open the index and load the models now, so the first question does not wait for them."""
        recovery = self.open()
        self.load_models()
        return recovery

    def load_models(self) -> None:
        """Load the embedding model and the reader (each loads once; later calls return at once).

        Raises:
            ConfigError: a model that does not load (its message says what to do).
        """
        warm_up = getattr(self.embedder, "warm_up", None)  # fakes and the hashing embedder have nothing to load
        if warm_up:
            warm_up()
        self.answerer.reader.warm_up()

    def load_models_in_background(self) -> None:
        """Start :meth:`load_models` on a daemon thread (the app shows its pages meanwhile); a second call
        does nothing. :meth:`models_ready` says when it is done; :meth:`wait_for_models` waits for it."""
        with self._open_lock:
            if self._models is None:
                self._models = BackgroundLoad(self.load_models)

    def models_ready(self) -> bool:
        """Whether the models are loaded (or failed to load: :meth:`wait_for_models` raises the error then)."""
        return self._models is not None and self._models.done.is_set()

    def wait_for_models(self) -> None:
        """Wait until the models have loaded, starting the load if nothing has yet.

        Raises:
            QABotError: loading failed (the same error each time it is asked).
        """
        self.load_models_in_background()
        self._models.wait()

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
                         turn: Condensed | None = None, pool: int | None = None) -> PreparedQuestion:
        """The extractive answerer's inputs for ``question``: the understanding and retrieval steps of :meth:`ask`.

        Condenses a follow-up into a standalone question (unless ``turn`` is given), analyses and
        embeds it, retrieves the pool the answerer reads, and fetches the pool's stored sentences
        and its articles' texts. ``eval/tune.py`` calls this, so fitted weights see exactly what
        the pipeline gives the answerer.

        Args:
            pool: passages to retrieve (``read.pool`` by default; never fewer than ``k``).

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
        pool_size = max(k, self.answerer.params.read.pool if pool is None else pool)
        pool = self.retriever.search(turn.question, pool_size, filters, analysis=analysis, query_vector=vector)
        sentence_index = store.sentence_index(pool)
        texts = store.registry.texts({h.passage.article_id for h in pool})  # the reader's neighbouring sentences
        t2 = time.perf_counter()
        return PreparedQuestion(turn, analysis, vector, tuple(pool), sentence_index, texts, k,
                                {"understand": (t1 - t0) * 1e3, "retrieve": (t2 - t1) * 1e3})

    def _ask_extractive(self, question: str, k: int | None, filters: Filters, history, turn: Condensed | None = None,
                        ) -> Answer:
        """The extractive answer (also the LLM's passages and its fallback)."""
        prepared = self.prepare_question(question, k, filters, history, turn)
        t0 = time.perf_counter()
        answer = self.answerer.answer_prepared(prepared)
        spent = (time.perf_counter() - t0) * 1e3
        timings = dict(prepared.timings_ms, **answer.timings_ms, answer=spent,
                       total=sum(prepared.timings_ms.values()) + spent)
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
            rank: ``"reader"`` (the default): retrieve and read as :meth:`ask` does and return the
                ``k`` passages the decide stage ranks first, each document's metadata adding
                ``answer_sentence``, ``answer_start``/``answer_end`` (offsets in ``page_content``),
                ``answer_span``, ``answer_score`` and ``answers`` (see
                :func:`qa_bot.answering.langchain.answer_metadata`). ``"hybrid"``: the plain dense + BM25
                top ``k`` (:meth:`search`), citation metadata only.

        Raises:
            InputError: an unknown ``rank``.
        """
        if rank == "hybrid":
            return make_langchain_retriever(self.search, k or self.settings.top_k, filters)
        if rank != "reader":
            raise InputError(f"unknown rank {rank!r}; use 'reader' (answer-aware) or 'hybrid' (plain retrieval)")

        from qa_bot.answering.langchain import verdict_to_document

        def reader_ranked(query: str, k: int, filters: Filters) -> list:
            return list(self.answerer.judge(self.prepare_question(query, k, filters)).decision.passages[:k])

        return make_langchain_retriever(reader_ranked, k or self.settings.top_k, filters, verdict_to_document)

    def as_compressor(self, top_n: int | None = None, min_score: float | None = None):
        """The decide stage's ranking as a LangChain ``BaseDocumentCompressor`` for any retriever's documents.

        ``compress_documents(docs, query)`` orders ``docs`` as the decide stage ranks them for
        ``query``, drops those scoring below ``min_score`` (none when None), keeps ``top_n`` (all when
        None) and adds the metadata ``as_retriever`` adds (see
        :func:`qa_bot.answering.langchain.reader_compressor_class`).

        Raises:
            ValueError: ``top_n`` below 1 or ``min_score`` outside 0-1.
        """
        from qa_bot.answering.langchain import reader_compressor_class

        return reader_compressor_class()(self, top_n=top_n, min_score=min_score)


def _pieces(text: str) -> Iterator[str]:
    """Word-sized pieces of ``text`` that concatenate back to it exactly."""
    start = 0
    for i, ch in enumerate(text):
        if ch == " ":
            yield text[start : i + 1]
            start = i + 1
    if start < len(text):
        yield text[start:]
