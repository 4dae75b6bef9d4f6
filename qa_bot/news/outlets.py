"""How each outlet told it: one row per outlet with its best answering sentence, or "not reported".

The question is answered as usual (the extractive answer, with its disagreement block), and then
once more per outlet, retrieving only that outlet's passages: the same understanding (the
follow-up read the same way), the same candidates, signals, reader and abstention model as
:meth:`qa_bot.bot.QABot.ask`. An outlet's row quotes the lead sentence of its own answer — its
best-scoring answering sentence — with its date; an outlet whose passages hold no sentence that
clears the answer threshold (the answerer abstains on them) is "not reported". Retrieving per outlet,
rather than one wider search, is what gives every outlet in the index a row: one outlet's many
articles cannot crowd another's out.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from qa_bot.models import Answer, Citation
from qa_bot.retrieval.filters import Filters


@dataclass(frozen=True)
class OutletRow:
    """One outlet's telling.

    Attributes:
        outlet: the outlet's name.
        citation: its best answering sentence (``quote``, exact) and where it stands; None when not reported.
        dates: publication dates of the outlet's articles its answer cites, earliest first.
        support: the answerer's probability that the outlet's coverage answers the question.
    """

    outlet: str
    citation: Citation | None
    dates: tuple[str, ...] = ()
    support: float = 0.0

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
        return {"outlet": self.outlet, "reported": self.reported, "sentence": self.sentence,
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
    prepared = bot.prepare_question(question, k, filters, history)
    answer = replace(bot.answerer.answer_prepared(prepared), question=question)
    outlets = [o for o in bot.store.outlets() if o and (not filters.outlets or o in filters.outlets)]
    rows = []
    for outlet in outlets:
        own = replace(filters, outlets=(outlet,))
        prepared_here = bot.prepare_question(question, k, own, history, turn=prepared.turn)
        rows.append(_row(outlet, bot.answerer.answer_prepared(prepared_here)))
    rows.sort(key=lambda r: (not r.reported, -r.support if r.reported else 0.0, r.outlet.lower()))
    return OutletView(question, answer, tuple(rows))


def _row(outlet: str, answer: Answer) -> OutletRow:
    """The row of one outlet's own answer: its lead sentence's first citation, or not reported."""
    if answer.abstained or not answer.sentences or not answer.sentences[0].citations:
        return OutletRow(outlet, None, (), answer.support)
    by_n = {c.n: c for c in answer.citations}
    lead = by_n[answer.sentences[0].citations[0]]
    dates = tuple(sorted({c.published for c in answer.citations if c.outlet == outlet and c.published}))
    return OutletRow(outlet, lead, dates, answer.support)
