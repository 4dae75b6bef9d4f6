"""The REST API that ``qa-bot serve`` runs: :func:`qa_bot.api.app.create_app` wraps one bot in FastAPI routes.

Importing this package loads nothing: FastAPI is imported by :mod:`qa_bot.api.app` itself.
"""
