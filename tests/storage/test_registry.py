"""The registry's BM25 search: ranking in the FTS table first must give exactly what ranking with
the restrictions inside one query gives, with and without outlet and date restrictions."""

from datetime import date, timedelta

from qa_bot.ingest.loaders import make_article
from qa_bot.storage.registry import INDEXED


def _reference(registry, match, limit, outlets=(), since="", until=""):
    sql = ["SELECT c.article_id, c.n, bm25(chunk_fts, 0.3, 1.0) AS score FROM chunk_fts "
           "JOIN chunks c ON c.rowid = chunk_fts.rowid JOIN articles a ON a.id = c.article_id "
           "WHERE chunk_fts MATCH ? AND a.state = ?"]
    args = [match, INDEXED]
    if outlets:
        sql.append(f"AND a.outlet IN ({','.join('?' * len(outlets))})")
        args += list(outlets)
    if since:
        sql.append("AND a.published >= ?")
        args.append(since)
    if until:
        sql.append("AND a.published != '' AND a.published <= ?")
        args.append(until)
    sql.append("ORDER BY score, c.rowid LIMIT ?")
    args.append(limit)
    return [(a, n, -s) for a, n, s in registry._db.execute(" ".join(sql), args).fetchall()]


def test_lexical_search_matches_the_single_query_ranking(bot):
    words = ["ferry", "tariff", "summit", "battery", "lions", "panda", "visa", "chips", "harbour", "crane"]
    articles = []
    for i in range(260):
        body = " ".join(words[(i * j) % len(words)] for j in range(1, 12 + i % 7))
        outlet = "Rare Outlet" if i % 97 == 0 else f"Outlet {i % 4}"
        articles.append(make_article(text=f"Report {i} says {body}.", source="test", title=f"Report {i}",
                                     outlet=outlet, published=date(2026, 1, 1) + timedelta(days=i % 40)))
    bot.add_articles(articles)
    registry = bot.store.registry
    assert registry._db.execute("SELECT count(*) FROM chunk_fts WHERE chunk_fts MATCH ?", ('"lions" OR "chips"',)).fetchone()[0] > 200  # so the restricted case needs the fallback
    for match, limit, kw in [('"ferry" OR "crane"', 10, {}), ('"summit"', 5, {"outlets": ("Outlet 2",)}),
                             ('"panda" OR "visa"', 8, {"since": "2026-01-10", "until": "2026-01-20"}),
                             ('"lions" OR "chips"', 20, {"outlets": ("Rare Outlet",)}),  # falls back
                             ('"nothing-matches-this"', 5, {})]:
        got = registry.lexical_search(match, limit, **kw)
        want = _reference(registry, match, limit, **kw)
        assert [(a, n) for a, n, _ in got] == [(a, n) for a, n, _ in want] or \
            [round(s, 6) for *_, s in got] == [round(s, 6) for *_, s in want]  # equal scores may swap places
        assert len(got) == len(want)
