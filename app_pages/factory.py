"""The bot the app serves, named by ``QA_BOT_APP_FACTORY=module:function`` (tests swap in a fast fake)."""

from __future__ import annotations

import importlib
import os

from qa_bot.errors import ConfigError

#: Environment variable naming the bot factory as ``module:function`` (tests use a fast fake).
FACTORY_ENV = "QA_BOT_APP_FACTORY"
#: The factory used when the variable is unset: :func:`default_bot`.
DEFAULT_FACTORY = "app_pages.factory:default_bot"


def default_bot():
    """The production bot: settings from ``QA_BOT_*`` variables, the packaged embedding model; it serves its
    index to ``qa-bot`` commands on the same data folder while the app runs."""
    from qa_bot.bot import QABot

    return QABot(serve_index=True)


def bot_cache_key() -> tuple[tuple[str, str], ...]:
    """What the shared bot depends on (the factory and every ``QA_BOT_*`` variable), for the cache key."""
    return tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("QA_BOT_")))


def make_bot(spec: str | None = None):
    """Build the bot with the factory named by ``spec`` or ``$QA_BOT_APP_FACTORY``.

    Raises:
        ConfigError: the spec is not ``module:function`` or does not name a callable.
    """
    spec = spec or os.environ.get(FACTORY_ENV) or DEFAULT_FACTORY
    module_name, _, func_name = spec.partition(":")
    if not module_name or not func_name:
        raise ConfigError(f"{FACTORY_ENV}={spec!r} is not of the form 'module:function'")
    try:
        factory = getattr(importlib.import_module(module_name), func_name)
    except (ImportError, AttributeError) as err:
        raise ConfigError(f"{FACTORY_ENV}={spec!r} cannot be loaded ({err}); fix or unset it") from None
    if not callable(factory):
        raise ConfigError(f"{FACTORY_ENV}={spec!r} is not a function")
    return factory()
