"""Keeping articles: the SQLite registry (metadata, FTS5), the Chroma index, locks and crash recovery."""
