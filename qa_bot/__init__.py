"""qa-bot: answers questions about news coverage, citing the exact passages it rests on.

Importing the package is cheap: no model is loaded and no database opened until used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from qa_bot.inference.runtime import passive_threads

# Before torch or onnxruntime can load: idle inference threads sleep instead of spinning (see there).
passive_threads()

__version__ = "0.1.0"
__all__ = ["Answer", "Citation", "Filters", "QABot", "Settings", "__version__"]

if TYPE_CHECKING:
    from qa_bot.bot import QABot
    from qa_bot.config import Settings
    from qa_bot.models import Answer, Citation
    from qa_bot.retrieval.filters import Filters

_LAZY = {
    "QABot": "qa_bot.bot",
    "Settings": "qa_bot.config",
    "Answer": "qa_bot.models",
    "Citation": "qa_bot.models",
    "Filters": "qa_bot.retrieval.filters",
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'qa_bot' has no attribute {name!r}")
