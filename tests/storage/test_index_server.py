"""Issue 27, finding 1: the data folder's index server admits only its owner's processes.

The server runs in the owner's process over its own Chroma client (here an in-memory one); a joining
store reaches it with the secret from ``index-server.json``. Without the secret nothing is read or
written, and that file is readable by its user only.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

import chromadb
import httpx
import numpy as np
import pytest

from qa_bot.config import Settings
from qa_bot.errors import StoreError
from qa_bot.storage.index import ChunkIndex, chroma_settings
from qa_bot.storage.remote import connect
from qa_bot.storage.server import CALL_PATH, SERVER_FILE, IndexServer, ServerAddress, live_server
from qa_bot.storage.store import Store

from tests.fakes import HashEmbedder


@pytest.fixture
def open_folder():
    """A data folder that every user may enter (so a refusal to read the file is the file's own mode)."""
    folder = Path(tempfile.mkdtemp(prefix="qa-bot-index-server-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def served(open_folder):
    """An index with three records, served from this process; yields (server, owner's index)."""
    client = chromadb.EphemeralClient(settings=chroma_settings())
    index = ChunkIndex(client, f"served-{uuid.uuid4().hex[:8]}")
    vectors = np.eye(3, 8, dtype=np.float32)
    index.upsert(["a:0", "b:0", "c:0"], vectors, ["alpha text", "beta text", "gamma text"],
                 [{"article_id": x} for x in "abc"])
    server = IndexServer(open_folder, lambda: client)
    server.start()
    yield server, index
    server.stop()


def _raw_call(port: int, call: dict, headers: dict | None = None) -> httpx.Response:
    return httpx.post(f"http://127.0.0.1:{port}{CALL_PATH}", json=call, headers=headers or {}, timeout=10)


def test_a_request_without_the_secret_is_refused_and_changes_nothing(served):
    server, index = served
    delete = {"op": "delete", "collection": index.name, "args": {"ids": ["a:0"]}}
    assert _raw_call(server.port, delete).status_code == 401
    assert _raw_call(server.port, delete, {"Authorization": "Bearer not-the-secret"}).status_code == 401
    get = {"op": "get", "collection": index.name, "args": {"include": ["documents"]}}
    refused = _raw_call(server.port, get)
    assert refused.status_code == 401 and "alpha" not in refused.text
    # Chroma's own API (what `chroma run` answered without any credential) is not there either.
    chroma_path = f"http://127.0.0.1:{server.port}/api/v2/tenants/default_tenant/databases/default_database/collections"
    assert httpx.get(chroma_path, timeout=10).status_code == 401
    assert index.count() == 3


def test_the_secret_admits_the_calls_a_store_makes(served):
    server, index = served
    remote = ChunkIndex(connect(live_server(server.data_dir)), index.name)
    assert remote.count() == 3
    hits = remote.query(np.eye(3, 8, dtype=np.float32)[1], k=1)
    assert [(h.id, h.text, h.metadata) for h in hits] == [("b:0", "beta text", {"article_id": "b"})]
    remote.upsert(["d:0"], np.ones((1, 8), dtype=np.float32), ["delta text"], [{"article_id": "d", "n": None}])
    assert [h.text for h in index.get(["d:0"])] == ["delta text"]  # written into the owner's index
    remote.delete_articles(["a"])
    assert remote.all_ids() == {"b:0", "c:0", "d:0"} and index.count() == 3
    remote.probe()


def test_only_the_store_calls_are_served(served):
    server, index = served
    auth = {"Authorization": f"Bearer {server.address.secret}"}
    for call in ({"op": "reset", "args": {}}, {"op": "list_collections", "args": {}},
                 {"op": "modify", "collection": index.name, "args": {"name": "x"}},
                 {"op": "get", "collection": index.name, "args": {"path": "/etc/passwd"}}):
        answer = _raw_call(server.port, call, auth)
        assert answer.status_code == 400 and "not a call this server takes" in answer.json()["error"]
    assert index.count() == 3


def test_the_address_file_is_private_and_a_readable_one_is_not_trusted(served):
    server, _ = served
    path = server.data_dir / SERVER_FILE
    assert path.stat().st_mode & 0o777 == 0o600
    info = json.loads(path.read_text())
    assert info["port"] == server.port and info["pid"] == os.getpid() and len(info["secret"]) >= 32
    if os.geteuid() == 0:  # as another user, the file cannot be read at all
        other = subprocess.run(["cat", str(path)], capture_output=True, text=True, user=65534, group=65534,
                               extra_groups=[], timeout=60)
        assert other.returncode != 0 and "Permission denied" in other.stderr and not other.stdout
    assert live_server(server.data_dir) == server.address
    path.chmod(0o644)
    assert live_server(server.data_dir) is None


def test_a_wrong_secret_is_a_one_line_store_error(served):
    server, index = served
    with pytest.raises(StoreError, match="refused get_max_batch_size .*401"):
        connect(ServerAddress(server.address.host, server.port, "guessed"))


def test_each_start_draws_a_new_secret_and_stopping_removes_the_file(open_folder):
    client = chromadb.EphemeralClient(settings=chroma_settings())
    first = IndexServer(open_folder, lambda: client)
    secret = first.start().secret
    first.stop()
    assert not (open_folder / SERVER_FILE).exists() and live_server(open_folder) is None
    second = IndexServer(open_folder, lambda: client)
    try:
        assert second.start().secret != secret
    finally:
        second.stop()


def test_a_serving_store_keeps_its_index_in_process_and_serves_it(tmp_path):
    settings = Settings(data_dir=tmp_path / "data", corpus_dir=tmp_path / "corpus", share_index=True)
    store = Store(settings, HashEmbedder(), serve=True)
    store.open()
    try:
        address = live_server(settings.data_dir)
        assert address is not None and address.port == store.server.port
        assert _raw_call(address.port, {"op": "count", "collection": settings.collection, "args": {}}).status_code == 401
        answer = _raw_call(address.port, {"op": "count", "collection": settings.collection, "args": {}},
                           {"Authorization": f"Bearer {address.secret}"})
        assert answer.status_code == 200 and answer.json()["result"] == store.index.count()
    finally:
        store.close()
    assert live_server(settings.data_dir) is None


def test_a_new_data_folder_is_private_to_its_user(tmp_path):
    settings = Settings(data_dir=tmp_path / "fresh" / "data", corpus_dir=tmp_path / "corpus")
    Store(settings, HashEmbedder()).close()
    assert settings.data_dir.stat().st_mode & 0o777 == 0o700
