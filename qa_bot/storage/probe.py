"""The index health probe, run as a child process: ``python -m qa_bot.storage.probe FOLDER COLLECTION``.

It opens the embedded Chroma folder, reads a record and runs a query, and exits 0 when all of
that works. It runs apart from the store's process because reading a damaged folder can crash
the reader outright (see :func:`qa_bot.storage.recovery.probe_in_subprocess`).
"""

from __future__ import annotations

import sys

from qa_bot.storage.index import ChunkIndex, chroma_settings


def main(argv: list[str]) -> None:
    """Probe the collection ``argv[1]`` in the folder ``argv[0]``; any failure raises (exit status 1)."""
    import chromadb

    folder, collection = argv
    client = chromadb.PersistentClient(path=folder, settings=chroma_settings())
    ChunkIndex(client, collection).probe()


if __name__ == "__main__":
    main(sys.argv[1:])
