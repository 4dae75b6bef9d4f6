"""Fusion of the two rankings, boosts for what the question names, and collapsing syndicated copies."""

from datetime import date
from types import SimpleNamespace

from qa_bot.models import Hit, Passage
from qa_bot.params import FusionWeights
from qa_bot.retrieval.fusion import Mentions, boosted, collapse_near_duplicates, fuse


def _order(fused):
    return [key for key, _ in sorted(fused.items(), key=lambda kv: -kv[1].score)]


def _passage(article_id, text, n=0, outlet="Outlet", published="2026-01-01"):
    return Passage(chunk_id=f"{article_id}:{n}", article_id=article_id, text=text, start=0, end=len(text),
                   title="t", outlet=outlet, url="", published=published)


def test_a_chunk_both_sides_find_beats_chunks_only_one_side_ranks_first():
    both, dense_only, lexical_only = ("both", 0), ("dense", 0), ("lexical", 0)
    fused = fuse([(dense_only, 0.9), (both, 0.8)], [(lexical_only, 12.0), (both, 10.0)])
    assert _order(fused)[0] == both  # second on both lists beats first on one
    assert fused[both].dense == 0.8 and fused[both].lexical == 10.0  # each side's own score is kept
    assert fused[dense_only].lexical is None and fused[lexical_only].dense is None


def test_side_weights_decide_between_two_single_side_winners():
    dense_top, lexical_top = ("d", 0), ("l", 0)
    rankings = ([(dense_top, 0.9)], [(lexical_top, 5.0)])
    # Equal weights tie; either side's weight, raised or lowered, must break the tie its way.
    assert _order(fuse(*rankings, FusionWeights(dense=2.0, lexical=1.0)))[0] == dense_top
    assert _order(fuse(*rankings, FusionWeights(dense=0.5, lexical=1.0)))[0] == lexical_top
    assert _order(fuse(*rankings, FusionWeights(dense=1.0, lexical=2.0)))[0] == lexical_top
    assert _order(fuse(*rankings, FusionWeights(dense=1.0, lexical=0.5)))[0] == dense_top


def test_lower_ranks_count_for_less():
    first, fifth = ("a", 0), ("b", 0)
    others = [(("x", i), 0.5) for i in range(3)]
    fused = fuse([(first, 0.9), *others, (fifth, 0.4)], [])
    assert fused[first].score > fused[fifth].score


def test_a_named_outlet_or_day_lifts_a_passage_past_the_one_ranked_just_above_it():
    weights = FusionWeights()
    above, below = 1 / (weights.rrf_k + 1), 1 / (weights.rrf_k + 2)
    from_named_outlet = _passage("b", "text", outlet="Beta Post", published="2026-03-02")
    mentions = Mentions.of(SimpleNamespace(outlets=("Beta Post",), dates=()))
    assert boosted(below, from_named_outlet, mentions, weights) > above
    on_named_day = Mentions.of(SimpleNamespace(outlets=(), dates=(date(2026, 3, 2),)))
    assert boosted(below, from_named_outlet, on_named_day, weights) > above
    other_day = Mentions.of(SimpleNamespace(outlets=("Alpha Wire",), dates=(date(2026, 3, 3),)))
    assert boosted(below, from_named_outlet, other_day, weights) == below  # nothing named matches
    assert boosted(below, from_named_outlet, Mentions.of(None), weights) == below


def test_boost_weights_scale_the_lift():
    p = _passage("b", "text", outlet="Beta Post")
    mentions = Mentions(outlets=frozenset({"Beta Post"}))
    assert boosted(0.0, p, mentions, FusionWeights(outlet_boost=0.0)) == 0.0
    assert boosted(0.0, p, mentions, FusionWeights(outlet_boost=2.0)) > boosted(0.0, p, mentions, FusionWeights())


STORY = ("The port authority said on Monday that the new container terminal would open in March after "
         "two years of delays, and that shipping lines had already booked most of its berths for the spring.")


def test_a_syndicated_copy_from_another_outlet_is_dropped_and_the_next_passage_takes_its_place():
    original = Hit(_passage("a", STORY, outlet="Alpha Wire"), score=0.9)
    copy = Hit(_passage("b", STORY.replace("Monday", "Tuesday") + " Reporting by staff.", outlet="Beta Post"),
               score=0.8)
    distinct = Hit(_passage("c", "Farmers protested against the new water tariffs outside parliament."), score=0.5)
    kept = collapse_near_duplicates([original, copy, distinct], k=2)
    assert [h.passage.article_id for h in kept] == ["a", "c"]  # the better-ranked copy survives


def test_overlapping_chunks_of_one_article_are_not_duplicates():
    first = Hit(_passage("a", STORY, n=0), score=0.9)
    overlap = Hit(_passage("a", STORY + " Officials expect the first ships in April.", n=1), score=0.8)
    assert len(collapse_near_duplicates([first, overlap], k=5)) == 2


def test_two_outlets_quoting_the_same_sentence_stay_two_sources():
    quote = "We will not raise taxes on working families this year"
    a = Hit(_passage("a", f"Speaking in the capital, the finance minister told reporters: {quote}. Her budget "
                          "is due next month and is expected to include new spending on rail and hospitals."), 0.9)
    b = Hit(_passage("b", f"Opposition leaders mocked the promise '{quote}' at a rally, saying the government "
                          "had broken similar pledges twice since the last general election."), 0.8)
    assert len(collapse_near_duplicates([a, b], k=5)) == 2
