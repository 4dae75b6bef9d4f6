"""Gold question sets: loading and validation.

A gold set is JSONL, one question a line::

    {"id", "question", "answers": [...], "answerable": bool, "type": str,
     "evidence": [{"article_id", "quote"}], "history": [{"question", "answer"}],
     "speaker"?: str, "doc"?: str}

``doc`` (ClapNQ style) names the gold document when evidence quotes are not tied to an article.

A gold set comes from a file, from the sets bundled in the repository's ``eval/`` folder (chosen by
name, never by a path from the user), or as uploaded bytes, saved under a name made from their hash.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from qa_bot.errors import InputError
from qa_bot.ingest.article import check_unicode

#: The repository's ``eval/`` folder, where the bundled gold sets live.
GOLD_DIR = Path(__file__).resolve().parents[2] / "eval"


@dataclass(frozen=True)
class Evidence:
    """A passage that answers the question: an article and, if known, the exact words."""

    article_id: str
    quote: str = ""


@dataclass(frozen=True)
class GoldItem:
    """One gold question."""

    id: str
    question: str
    answers: tuple[str, ...]
    answerable: bool
    type: str = "fact"
    evidence: tuple[Evidence, ...] = ()
    history: tuple[dict, ...] = ()
    speaker: str = ""
    extra: dict = field(default_factory=dict, compare=False)


def _item(record: dict, where: str) -> GoldItem:
    if not isinstance(record, dict):
        raise InputError(f"{where}: not a JSON object")
    missing = [k for k in ("id", "question") if not record.get(k)]
    if missing:
        raise InputError(f"{where}: missing {', '.join(missing)}")
    if not isinstance(record["question"], str):
        raise InputError(f"{where}: 'question' must be a string")
    try:
        check_unicode(record["question"], "the question", where)
    except InputError as err:
        raise InputError(str(err)) from None
    answers = record.get("answers", [])
    if isinstance(answers, str):
        answers = [answers]
    if not isinstance(answers, list) or not all(isinstance(a, str) for a in answers):
        raise InputError(f"{where}: 'answers' must be a list of strings")
    answerable = record.get("answerable", True)
    if not isinstance(answerable, bool):
        raise InputError(f"{where}: 'answerable' must be true or false")
    evidence: list[Evidence] = []
    for ev in record.get("evidence") or []:
        if isinstance(ev, str):  # ClapNQ: gold sentences of the gold document
            if record.get("doc"):
                evidence.append(Evidence(str(record["doc"]), ev))
            continue
        if not isinstance(ev, dict) or not ev.get("article_id"):
            raise InputError(f"{where}: each evidence item needs an 'article_id'")
        evidence.append(Evidence(str(ev["article_id"]), str(ev.get("quote", ""))))
    if not evidence and record.get("doc") and answerable:
        evidence.append(Evidence(str(record["doc"])))
    history = record.get("history") or []
    if not isinstance(history, list):
        raise InputError(f"{where}: 'history' must be a list of turns")
    kind = str(record.get("type") or ("fact" if answerable else "unanswerable"))
    return GoldItem(
        id=str(record["id"]), question=str(record["question"]), answers=tuple(answers), answerable=answerable,
        type=kind, evidence=tuple(evidence), history=tuple(history), speaker=str(record.get("speaker", "")),
        extra={k: v for k, v in record.items() if k in ("doc",)},
    )


def load_gold(path: Path, limit: int | None = None) -> list[GoldItem]:
    """Read and validate a gold JSONL file.

    Raises:
        InputError: unreadable file, bad JSON or a malformed item (naming the line), duplicate ids.
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise InputError(f"{path}: cannot read the gold set ({err.__class__.__name__}); check the path") from None
    items: list[GoldItem] = []
    seen: set[str] = set()
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path} line {lineno}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as err:
            raise InputError(f"{where}: not valid JSON ({err.msg} at column {err.colno})") from None
        except RecursionError:
            raise InputError(f"{where}: nested too deeply to be a gold question") from None
        item = _item(record, where)
        if item.id in seen:
            raise InputError(f"{where}: duplicate id {item.id!r}")
        seen.add(item.id)
        items.append(item)
        if limit and len(items) >= limit:
            break
    if not items:
        raise InputError(f"{path}: the gold set has no questions")
    return items


def bundled_gold_sets(folder: Path = GOLD_DIR) -> list[Path]:
    """The gold sets shipped in ``eval/`` (they may be added while the app runs)."""
    return sorted(p for p in Path(folder).glob("*.jsonl") if p.is_file()) if Path(folder).is_dir() else []


def bundled_gold_set(name: str, folder: Path = GOLD_DIR) -> Path:
    """The bundled gold set called ``name`` (with or without ``.jsonl``), looked up among
    :func:`bundled_gold_sets`: the name is never joined to a path, so it cannot reach another file.

    Raises:
        InputError: no bundled set has that name (the message is the same whatever the name points at).
    """
    sets = {p.stem: p for p in bundled_gold_sets(folder)}
    wanted = name.strip().removesuffix(".jsonl")
    if wanted in sets:
        return sets[wanted]
    raise InputError(f"dataset: {name[:80]!r} is not a bundled gold set; give one of "
                     f"{', '.join(sets) or '(none bundled)'}, or send the questions in the request")


def read_gold_upload(data: bytes, filename: str, folder: Path | None = None,
                     limit: int | None = None) -> tuple[Path, list[GoldItem]]:
    """Validate an uploaded gold set; returns ``(path, items)``.

    The bytes are saved under a name made from their hash (never the uploaded name) so the run
    can hash the file like any other dataset.

    Raises:
        InputError: not UTF-8 JSONL, or a bad item (message names the line, not the saved path).
    """
    digest = hashlib.sha256(data).hexdigest()[:16]
    folder = Path(folder or tempfile.gettempdir()) / "qa-bot-gold-uploads"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"gold-{digest}.jsonl"
    path.write_bytes(data)
    display = Path(str(filename).replace("\\", "/")).name or "upload.jsonl"
    try:
        return path, load_gold(path, limit)
    except InputError as err:
        raise InputError(str(err).replace(str(path), display)) from None


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes (recorded in eval runs so results name the exact gold set)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()
