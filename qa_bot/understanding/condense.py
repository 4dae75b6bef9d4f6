"""Conversation turns and follow-up condensation (no LLM needed).

A follow-up leans on earlier turns: "And what did Park say about it?", "How heavy is each one?",
"Who invited her to dinner?". :func:`condense` rewrites it into a standalone question by carrying
the previous turn's speaker, topic and entities into it: pronouns that stand for the previous
speaker are replaced by the name, and the previous topic words (and, after a "who" question,
the names in its answer) are appended as context. The carried words are returned separately
so the answerer can weigh them below the follow-up's own words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from qa_bot.text.tokens import content_words, words
from qa_bot.understanding.analysis import analyse
from qa_bot.understanding.attribution import NAME, SPEECH_WORDS

_OPENERS = ("and ", "and,", "what about", "how about", "also", "but ", "so ", "then ", "what else", "anything else",
            "same ", "why ", "was that", "is that", "did that", "does that")
# Words that point back to an earlier turn: strong ones almost always do; weak ones ("each one",
# "such a summit") only in a question that names nothing of its own.
_STRONG_REFERENCES = {"it", "its", "that", "this", "they", "them", "their", "he", "him", "his", "she", "her", "those",
                      "these", "there"}
_WEAK_REFERENCES = {"one", "each", "other", "others", "such", "both", "same", "else", "instead", "then"}
_PERSON_PRONOUNS = re.compile(r"\b(he|she|him|her|his)\b", re.I)
_NAME_SEQ = re.compile(rf"\b(?=[A-Z][\w'\u2019-]){NAME}")  # a name of two letters or more
_SCAFFOLD = {"what", "who", "whom", "which", "where", "when", "why", "how", "did", "does", "do", "many", "much",
             "long", "far", "kind", "sort", "type", "question", "questions"} | set(SPEECH_WORDS)


@dataclass(frozen=True)
class Turn:
    """One exchange: what the user asked and what the bot answered."""

    question: str
    answer: str = ""


@dataclass(frozen=True)
class Condensed:
    """A standalone question and the words carried into it from earlier turns."""

    question: str
    carried_terms: tuple[str, ...] = ()
    is_followup: bool = False


def normalize_history(history) -> list[Turn]:
    """Accept turns as :class:`Turn`, ``{"question", "answer"}`` dicts, ``{"role", "content"}`` messages or strings."""
    turns: list[Turn] = []
    for item in history or []:
        if isinstance(item, Turn):
            turns.append(item)
        elif isinstance(item, str):
            turns.append(Turn(item))
        elif isinstance(item, dict) and "question" in item:
            turns.append(Turn(str(item["question"]), str(item.get("answer", "") or "")))
        elif isinstance(item, dict) and item.get("role") == "user":
            turns.append(Turn(str(item.get("content", ""))))
        elif isinstance(item, dict) and item.get("role") == "assistant" and turns:
            turns[-1] = Turn(turns[-1].question, str(item.get("content", "")))
    return turns


def is_followup(question: str) -> bool:
    """Heuristic: opens like a continuation, or leans on a pronoun, or is too bare to stand alone."""
    q = question.strip().lower()
    toks = words(q)
    if not toks:
        return False
    if q.startswith(_OPENERS):
        return True
    own = [w for w in content_words(q) if w not in _SCAFFOLD]
    if len(own) <= 1:
        return True
    names = [m.group(0) for m in _NAME_SEQ.finditer(question.strip()[1:])]  # proper names after the first word
    if _STRONG_REFERENCES & set(toks) and len(own) <= 4:
        return True
    return bool(_WEAK_REFERENCES & set(toks)) and len(own) <= 4 and not names


def _topic_words(question: str) -> list[str]:
    return [w for w in content_words(question) if w not in _SCAFFOLD]


def _answer_names(turn: Turn) -> list[str]:
    """Names in a previous answer, when that turn asked who/whom/which person."""
    if not re.match(r"^\s*(who|whom|which)\b", turn.question, re.I) or not turn.answer:
        return []
    asked = set(words(turn.question))
    names = []
    for m in _NAME_SEQ.finditer(turn.answer[:400]):
        name = m.group(0)
        if not set(words(name)) <= asked and name not in names and not name.startswith("The "):
            names.append(name)
    return names[:3]


def condense(question: str, history, outlets: list[str] | None = None) -> Condensed:
    """A standalone version of ``question`` given earlier turns (unchanged when it stands alone)."""
    turns = normalize_history(history)
    if not turns or not is_followup(question):
        return Condensed(question)
    prev = turns[-1]
    prev_analysis = analyse(prev.question, outlets)
    current = analyse(question, outlets)
    text = question.strip()
    names = _answer_names(prev)
    # "What did he say?" -> the previous speaker, or the person the previous answer named.
    referent = prev_analysis.speaker or (names[0] if names else "")
    if referent and not current.speaker and _PERSON_PRONOUNS.search(text):
        text = _PERSON_PRONOUNS.sub(lambda m: referent if m.group(1).lower() in ("he", "she", "him", "her")
                                    else f"{referent}'s", text, count=1)
    own = set(content_words(text))
    carried = [w for w in _topic_words(prev.question) if w not in own]
    if prev_analysis.speaker and current.speaker and current.speaker != prev_analysis.speaker:
        carried = [w for w in carried if w not in prev_analysis.speaker_tokens]
    for name in names:
        carried += [w for w in content_words(name) if w not in own and w not in carried]
    if prev.answer and len(prev.answer.split()) <= 8:
        carried += [w for w in content_words(prev.answer) if w not in own and w not in carried]
    carried = list(dict.fromkeys(carried))
    if not carried and text == question.strip():
        return Condensed(question, is_followup=True)
    standalone = text if not carried else f"{text.rstrip('?')} ({' '.join(carried)})?"
    return Condensed(standalone, tuple(carried), True)
