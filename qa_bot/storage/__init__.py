"""Keeping articles: the SQLite registry (metadata, FTS5), the Chroma index, locks and crash recovery.

``store`` (the :class:`~qa_bot.storage.store.Store` the rest of the bot uses) ties together
``registry`` (the truth about every article), ``index`` (the Chroma chunk collection),
``indexing`` (chunk, embed and write), ``locking`` (one owner, one writer, a journal) and
``recovery`` (check, repair and rebuild the index on open; ``probe`` is its child process).
"""
