"""app_pages.sources: a quote shown inside its passage; closest passages numbered apart from citations."""

from __future__ import annotations

from app_pages.sources import citation_views, passage_views, window


def test_window_keeps_the_quote_inside_its_paragraph():
    text = "First paragraph here.\n\nSome words then THE QUOTE then more words.\n\nLast."
    i = text.index("THE QUOTE")
    snip = window(text, i, i + 9, context=400)
    assert snip.text == "Some words then THE QUOTE then more words." and snip.quote == "THE QUOTE"
    assert not snip.cut_before and not snip.cut_after
    short = window(text, i, i + 9, context=8)
    assert short.quote == "THE QUOTE" and short.cut_before and short.cut_after
    assert short.markdown().startswith("… ") and short.markdown().endswith(" …")



def test_citation_views_show_each_quote_in_its_passage(ingested):
    answer = ingested.ask("What did Lee say about Taiwan?")
    views = citation_views(answer)
    assert [v.n for v in views] == [c.n for c in answer.citations]
    for view, c in zip(views, answer.citations):
        assert view.snippet.quote == c.quote and c.quote in view.snippet.text
        assert (view.start, view.end) == (c.start, c.end)
        assert view.url == c.url and view.heading_markdown().startswith(f"**\\[{c.n}\\]** ")


def test_closest_passages_are_numbered_differently_from_citations(ingested):
    answer = ingested.ask("Which football club won the 1998 cup final in Glasgow?")
    views = passage_views(answer.hits, limit=2)
    assert answer.abstained and len(views) == 2
    assert views[0].heading_markdown().startswith("**1\\.** ") and not views[0].cited
    assert views[0].snippet.start == views[0].snippet.end  # nothing highlighted



def test_the_short_answer_is_highlighted_inside_its_quote_and_disagreements_are_listed():
    from qa_bot.models import Answer, Citation, Disagreement, DisagreementValue, ShortAnswer
    from app_pages.sources import citation_views, disagreement_markdown
    quote = "Officials signed 14 agreements on Monday."
    cit = Citation(n=1, chunk_id="a:0", article_id="a", title="T", outlet="Alpha Post", published="", url="",
                   quote=quote, start=10, end=10 + len(quote))
    start = 10 + quote.index("14 agreements")
    answer = Answer(question="How many agreements?", text=quote + " [1]", citations=(cit,), abstained=False,
                    short_answer=ShortAnswer("14 agreements", 1, start, start + len("14 agreements")),
                    disagreements=(Disagreement("agreements", (DisagreementValue("14 agreements", (1,)),
                                                               DisagreementValue("15 *agreements*", (2,)))),))
    md = citation_views(answer)[0].snippet.markdown()
    assert ":orange-background[**14 agreements**]" in md
    assert ":yellow-background[**Officials signed**]" in md
    block = disagreement_markdown(answer)[0]
    assert "Sources differ on agreements" in block and "15 \\*agreements\\*" in block and "\\[2\\]" in block


def test_a_value_ending_its_quote_takes_the_full_stop_and_a_disagreement_is_said_once():
    from qa_bot.models import Answer, Citation, Disagreement, DisagreementValue, Sentence, ShortAnswer
    from app_pages.sources import citation_views, disagreement_markdown
    quote = "The two governments concluded 15 MOUs."
    cit = Citation(n=1, chunk_id="a:0", article_id="a", title="T", outlet="Alpha Post", published="", url="",
                   quote=quote, start=0, end=len(quote))
    start = quote.index("15 MOUs")
    differ = "Outlets differ: 15 MOUs according to Alpha Post; 14 memorandums according to Beta Post."
    disagreement = Disagreement("MOUs", (DisagreementValue("15 MOUs", (1,)), DisagreementValue("14 memorandums", (2,))))
    answer = Answer(question="How many MOUs?", text=f"{quote} [1] {differ}", citations=(cit,), abstained=False,
                    sentences=(Sentence(quote, (1,), 1.0), Sentence(differ, (1, 2), 1.0)),
                    short_answer=ShortAnswer("15 MOUs", 1, start, start + len("15 MOUs")),
                    disagreements=(disagreement,))
    md = citation_views(answer)[0].snippet.markdown()
    assert md.endswith(":orange-background[**15 MOUs\\.**]")  # no full stop highlighted on its own
    assert ":yellow-background[**.**]" not in md
    assert disagreement_markdown(answer) == []  # the answer's text states it: no second "Sources differ" box
    unstated = Answer(question="How many MOUs?", text=f"{quote} [1]", citations=(cit,), abstained=False,
                      sentences=(Sentence(quote, (1,), 1.0),), disagreements=(disagreement,))
    assert len(disagreement_markdown(unstated)) == 1
