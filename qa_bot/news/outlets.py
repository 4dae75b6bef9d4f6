"""How each outlet told it: one row per outlet with its value and best answering sentence, or "not reported".

One retrieval and one reading serve every row. The question is prepared as ``ask`` prepares it
(the same understanding, the follow-up read the same way), retrieving a wider pool; the reader
reads the passages ``ask`` would read plus each outlet's best ``read.per_outlet`` passages of that
pool; the decide stage then runs once over ``ask``'s passages (the answer, with its disagreement
block) and once per outlet over that outlet's passages. An outlet's row gives the answer span and
the sentence holding it; an outlet on whose passages the decision abstains is "not reported".
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from qa_bot.answering.decide import AnswerSpan
from qa_bot.answering.extractive import passages_of
from qa_bot.models import Answer, Citation, Hit
from qa_bot.retrieval.filters import Filters


@dataclass(frozen=True)
class OutletRow:
    """One outlet's telling.

    Attributes:
        outlet: the outlet's name.
        citation: its best answering sentence (``quote``, exact) and where it stands; None when not reported.
        dates: publication dates of the outlet's articles its answer cites, earliest first.
        support: the decide stage's probability that the outlet's coverage answers the question.
        value: the answer span in that sentence, verbatim ("" when not reported).
    """

    outlet: str
    citation: Citation | None
    dates: tuple[str, ...] = ()
    support: float = 0.0
    value: str = ""

    @property
    def reported(self) -> bool:
        """True when the outlet's coverage answers the question."""
        return self.citation is not None

    @property
    def sentence(self) -> str:
        """The answering sentence, verbatim, or "not reported"."""
        return self.citation.quote if self.citation else "not reported"

    def to_dict(self) -> dict:
        """The row as JSON-ready data."""
        return {"outlet": self.outlet, "reported": self.reported, "value": self.value, "sentence": self.sentence,
                "dates": list(self.dates), "support": round(self.support, 4),
                "citation": self.citation.to_dict() if self.citation else None}


@dataclass(frozen=True)
class OutletView:
    """The answer to a question and, for every outlet, how that outlet answers it."""

    question: str
    answer: Answer
    rows: tuple[OutletRow, ...]

    @property
    def disagreements(self):
        """The answer's disagreement block (sources giving different values), as :class:`~qa_bot.models.Answer` carries it."""
        return self.answer.disagreements

    def to_dict(self) -> dict:
        """The view as JSON-ready data (what ``qa-bot ask --by-outlet --json`` prints)."""
        answer = self.answer.to_dict()
        return {"question": self.question, "answer": answer["answer"], "abstained": answer["abstained"],
                "citations": answer["citations"], "disagreements": answer["disagreements"],
                "outlets": [r.to_dict() for r in self.rows]}


def outlet_view(bot, question: str, k: int | None = None, filters: Filters = Filters(), history=None) -> OutletView:
    """Answer ``question`` and tell, outlet by outlet, what each outlet's coverage says (see the module docstring).

    Args:
        bot: an opened :class:`~qa_bot.bot.QABot`; the extractive answerer answers (no language model).
        question: the user's question.
        k: passages per answer (``settings.top_k`` by default).
        filters: outlet and date restrictions; with outlets given, only those outlets get rows.
        history: earlier turns, for follow-up questions.

    Returns:
        The answer and one row per outlet: reported ones first, best supported first; then the rest by name.

    Raises:
        InputError: an empty or over-long question, ``k`` out of range.
    """
    answerer = bot.answerer
    prepared = bot.prepare_question(question, k, filters, history, pool=answerer.params.read.outlet_pool)
    main = answerer.to_read(prepared)
    outlets = [o for o in bot.store.outlets() if o and (not filters.outlets or o in filters.outlets)]
    own: dict[str, list[Hit]] = {o: [] for o in outlets}
    for h in prepared.pool:
        mine = own.get(h.passage.outlet)
        if mine is not None and len(mine) < answerer.params.read.per_outlet:
            mine.append(h)
    to_read = list({h.passage.chunk_id: h for h in main + [h for hs in own.values() for h in hs]}.values())
    readings = answerer.reader.run(prepared.turn.question, passages_of(to_read, prepared.texts))
    by_chunk = {h.passage.chunk_id: r for h, r in zip(to_read, readings)}
    judged = answerer.judge(prepared, hits=main, readings=[by_chunk[h.passage.chunk_id] for h in main])
    answer = replace(answerer.compose(prepared, judged.decision), question=question)
    rows = []
    for outlet, hits in own.items():
        decision = answerer.decider.run(prepared.turn.question, prepared.analysis, hits,
                                        [by_chunk[h.passage.chunk_id] for h in hits], prepared.turn.carried_terms)
        rows.append(_row(outlet, None if decision.abstained else decision.spans[0], decision.support))
    rows.sort(key=lambda r: (not r.reported, -r.support if r.reported else 0.0, r.outlet.lower()))
    return OutletView(question, answer, tuple(rows))


def _row(outlet: str, best: AnswerSpan | None, support: float) -> OutletRow:
    """The row of one outlet: its best answer span and the sentence holding it, or not reported."""
    if best is None:
        return OutletRow(outlet, None, (), support)
    p = best.hit.passage
    citation = Citation(n=1, chunk_id=p.chunk_id, article_id=p.article_id, title=p.title, outlet=p.outlet,
                        published=p.published, url=p.url, quote=best.sentence.text, start=best.sentence.start,
                        end=best.sentence.end, support=support)
    return OutletRow(outlet, citation, (p.published,) if p.published else (), support, best.text)
