"""Answerers: turn retrieved passages into a short answer whose every sentence is cited."""

from qa_bot.answering.extractive import ABSTAIN_TEXT, ExtractiveAnswerer, PreparedQuestion

__all__ = ["ABSTAIN_TEXT", "ExtractiveAnswerer", "PreparedQuestion"]
