"""Loading models on a background thread, so that a long-lived process (the app) can show its pages
while the models load, and the first question waits only for what is left."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from qa_bot.errors import ConfigError, QABotError

log = logging.getLogger(__name__)


class BackgroundLoad:
    """Runs ``load`` once on a daemon thread, started at construction.

    Attributes:
        done: set when ``load`` has returned or failed.
        error: the ``QABotError`` it raised (anything else is logged and kept as a ``ConfigError``), or None.
    """

    def __init__(self, load: Callable[[], object]) -> None:
        self.done = threading.Event()
        self.error: QABotError | None = None
        self._load = load
        threading.Thread(target=self._run, name="qa-bot-load-models", daemon=True).start()

    def wait(self) -> None:
        """Block until the load has finished.

        Raises:
            QABotError: the load failed (the same error for every caller).
        """
        self.done.wait()
        if self.error is not None:
            raise self.error

    def _run(self) -> None:
        try:
            self._load()
        except QABotError as err:
            self.error = err
        except Exception as err:  # a thread's exception would vanish; the waiting question reports it
            log.exception("loading the models failed")
            self.error = ConfigError(f"the models did not load ({type(err).__name__}: {err}); "
                                     "run `qa-bot prepare` to see the full error")
        finally:
            self.done.set()
