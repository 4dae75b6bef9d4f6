"""What an index records about how it was built, read without opening the store.

The registry's ``index_signature`` (``<embedder name>|max=…|target=…|…``) names the embedder whose
vectors the index holds; :mod:`qa_bot.inference.choice` reads it to pick the same embedder for an
existing index before anything heavy loads.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from qa_bot.errors import ConfigError

REGISTRY_FILE = "registry.sqlite3"
SIGNATURE_KEY = "index_signature"


def recorded_embedder(data_dir: Path) -> str:
    """The name of the embedder the index in ``data_dir`` was built with; ``""`` when there is no
    readable registry, no recorded signature, or no chunk indexed yet."""
    path = Path(data_dir) / REGISTRY_FILE
    if not path.is_file():
        return ""
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=2.0)
    except sqlite3.Error:
        return ""
    try:
        row = db.execute("SELECT value FROM meta WHERE key=?", (SIGNATURE_KEY,)).fetchone()
        has_chunks = db.execute("SELECT 1 FROM chunks LIMIT 1").fetchone() is not None
    except sqlite3.Error:  # damaged or from an older layout: the store's own checks deal with it
        return ""
    finally:
        db.close()
    return row[0].split("|", 1)[0] if row and has_chunks else ""


def rebuild_reason(data_dir: Path, recorded: str, wanted: str, reembed: bool) -> str:
    """Why an index with chunks, built as ``recorded`` says, must be written again to be what ``wanted``
    (both index signatures) describes; ``""`` when it need not.

    Args:
        data_dir: the data folder (named in the refusal).
        recorded: the signature the registry holds (``""`` for an index from before signatures).
        wanted: the signature of the store's settings and embedder.
        reembed: the user asked to re-embed every article (``qa-bot reindex``).

    Raises:
        ConfigError: the index holds another embedder's vectors and ``reembed`` is off: those are
            never re-embedded behind the user's back nor searched with the wrong embedder.
    """
    built_with, embedder = (recorded or wanted).split("|")[0], wanted.split("|")[0]
    if reembed:
        return f"re-embedding every article with {embedder} (the index held {built_with})"
    check_embedder(data_dir, recorded, embedder)
    if recorded and recorded != wanted:
        return f"the chunk settings changed ({recorded.split('|', 1)[-1]} -> {wanted.split('|', 1)[-1]})"
    return ""


def check_embedder(data_dir: Path, recorded: str, embedder: str) -> None:
    """Refuse an index whose recorded signature names another embedder than ``embedder``.

    Raises:
        ConfigError: saying how to re-embed (``qa-bot reindex``) or go back to the index's own.
    """
    built_with = recorded.split("|")[0]
    if built_with and built_with != embedder:
        raise ConfigError(f"the index in {data_dir} holds vectors of the {built_with} embedder, but the settings "
                          f"choose {embedder}; vectors of two embedders cannot be searched together. Run "
                          f"`qa-bot reindex` to re-embed every article with {embedder}, or unset "
                          "QA_BOT_EMBED_BACKEND (auto uses the index's own)")
