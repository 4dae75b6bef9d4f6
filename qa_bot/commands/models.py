"""The model commands: ``qa-bot reindex`` (move an index to another embedder) and ``qa-bot prepare``
(export the ONNX models ahead of time). Both build their own settings: they choose the embedder
rather than follow the index's."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from qa_bot.config import Settings
from qa_bot.embeddings import BACKENDS
from qa_bot.errors import QABotError


def register(app, shell) -> None:
    """Add ``reindex`` and ``prepare`` to ``app``."""

    @app.command()
    def reindex(
        backend: Annotated[Optional[str], typer.Option(metavar="NAME", help="torch, onnx or onnx-int8.")] = None,
        force: Annotated[bool, typer.Option("--force", help="Re-embed even if the index holds this "
                                            "embedder's vectors.")] = False,
        quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    ) -> None:
        """Re-embed every article with the embedder the settings choose.

        Run it after changing QA_BOT_EMBED_BACKEND or QA_BOT_EMBED_MODEL. Only vectors are rewritten,
        never articles; the next command finishes an interrupted run.
        """
        from qa_bot.bot import QABot
        from qa_bot.inference.choice import embedder_for, recorded_embedder
        from qa_bot.terminal import progress_bar

        if backend is not None and backend not in BACKENDS:
            shell.fail(ValueError(f"--backend {backend!r}: choose {', '.join(BACKENDS)}"))
        settings = Settings(**({"embed_backend": backend} if backend else {}))
        try:
            embedder = embedder_for(settings, follow_index=False)
            if recorded_embedder(settings.data_dir) == embedder.name and not force:
                shell.out.print(f"The index already holds {embedder.name} vectors; nothing to re-embed "
                                "(--force does it anyway).")
                return
            bot = QABot(settings, embedder=embedder)
            with progress_bar(shell.err, not quiet) as progress:
                recovery = bot.reindex(progress)
            stats = bot.stats()
        except QABotError as exc:
            shell.fail(exc)
        shell.out.print(f"Re-embedded {stats['articles']} articles ({stats['chunks']} chunks) with {embedder.name} "
                        f"in {recovery.seconds:.1f}s.")

    @app.command()
    def prepare() -> None:
        """Export the ONNX models now, so no command waits for it later.

        `make install` runs this once; the files are cached by the weights' hash.
        """
        from qa_bot.inference.choice import prepare_models

        try:
            shell.out.print("\n".join(prepare_models(Settings())))
        except QABotError as exc:
            shell.fail(exc)
