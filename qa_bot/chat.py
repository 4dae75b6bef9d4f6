"""Conversation turns and follow-up condensation (no LLM needed).

A follow-up such as "And what did Xi say about it?" is rewritten into a standalone question by
carrying over the subject terms of earlier turns that the follow-up leaves implicit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from qa_bot.text import content_words, words

_FOLLOWUP_OPENERS = ("and ", "what about", "how about", "also", "but ", "so ", "then ", "why", "did he", "did she",
                     "did they", "what else", "anything else")
_REFERRING = {"it", "that", "this", "they", "them", "he", "she", "him", "her", "his", "its", "those", "these", "there",
              "then", "same", "also", "else", "too", "either"}


@dataclass(frozen=True)
class Turn:
    """One exchange: what the user asked and what the bot answered."""

    question: str
    answer: str = ""


def normalize_history(history) -> list[Turn]:
    """Accept turns as :class:`Turn`, ``{"question", "answer"}`` dicts, ``{"role", "content"}`` messages or strings."""
    turns: list[Turn] = []
    for item in history or []:
        if isinstance(item, Turn):
            turns.append(item)
        elif isinstance(item, str):
            turns.append(Turn(item))
        elif isinstance(item, dict) and "question" in item:
            turns.append(Turn(str(item["question"]), str(item.get("answer", ""))))
        elif isinstance(item, dict) and item.get("role") == "user":
            turns.append(Turn(str(item.get("content", ""))))
        elif isinstance(item, dict) and item.get("role") == "assistant" and turns:
            turns[-1] = Turn(turns[-1].question, str(item.get("content", "")))
    return turns


def is_followup(question: str) -> bool:
    """Heuristic: short, opens like a continuation, or leans on a pronoun with no topic of its own."""
    q = question.strip().lower()
    toks = words(q)
    if not toks:
        return False
    if q.startswith(_FOLLOWUP_OPENERS):
        return True
    return bool(_REFERRING & set(toks)) and len(content_words(q)) <= 3


def condense(question: str, history) -> str:
    """A standalone version of ``question`` given earlier turns (unchanged when it stands alone)."""
    turns = normalize_history(history)
    if not turns or not is_followup(question):
        return question
    previous = turns[-1].question
    own = set(content_words(question))
    carried = [w for w in re.findall(r"[A-Za-z][\w'-]*", previous) if content_words(w) and content_words(w)[0] not in own]
    if not carried:
        return question
    return f"{question.strip()} (context: {' '.join(carried)})"
