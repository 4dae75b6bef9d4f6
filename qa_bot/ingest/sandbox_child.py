"""The child side of :mod:`qa_bot.ingest.sandbox`: ``python -m qa_bot.ingest.sandbox_child NAME SOURCE``.

Reads the file's bytes on stdin, parses them in this (resource-capped) process and prints one
JSON object on stdout: ``{"articles": [...]}`` or ``{"error": reason, "source": source}``.
"""

from __future__ import annotations

import json
import os
import sys
import time

from qa_bot.errors import LoaderError
from qa_bot.ingest.loaders import load_bytes


def _test_faults() -> None:
    """Simulated misbehaviour, so tests can prove the bounds hold (set only by the test suite)."""
    if os.environ.get("QA_BOT_SANDBOX_TEST_SLEEP"):
        time.sleep(float(os.environ["QA_BOT_SANDBOX_TEST_SLEEP"]))
    if os.environ.get("QA_BOT_SANDBOX_TEST_ALLOCATE_MB"):
        blob = bytearray(int(os.environ["QA_BOT_SANDBOX_TEST_ALLOCATE_MB"]) * 1024 * 1024)
        blob[::4096] = b"x" * len(blob[::4096])


def main() -> None:
    """Parse the bytes on stdin as file ``argv[1]`` named ``argv[2]``; print the result as JSON."""
    name, source = sys.argv[1], sys.argv[2]
    data = sys.stdin.buffer.read()
    _test_faults()
    try:
        articles = load_bytes(data, name, source=source, isolate=False)
    except LoaderError as err:
        print(json.dumps({"error": err.reason, "source": err.source}))
        return
    except RecursionError:
        print(json.dumps({"error": "the document is nested too deeply to read; simplify it and retry",
                          "source": source}))
        return
    print(json.dumps({"articles": [a.to_dict() for a in articles]}))


if __name__ == "__main__":
    main()
