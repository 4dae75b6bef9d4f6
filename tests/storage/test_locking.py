"""The files qa-bot writes in its data folder — its locks, their owner files and the journal — are
never written through a symbolic link, and a link or a directory in their place is a clear error
(findings 6 and 9 of issue 14)."""

import os

import pytest

from qa_bot.errors import StoreError
from qa_bot.ingest.loaders import load_text
from qa_bot.storage.locking import OwnerLock, WriteLock
from qa_bot.storage.store import Store

DATA_FILES = ["owner.lock", "owner.lock.owner", "write.lock", "write.lock.owner", "journal"]
PRECIOUS = "someone else's file: qa-bot must not touch it\n"


def _write_once(data_dir) -> None:
    """Take the folder, hold the write lock and the journal, as every write does."""
    owner = OwnerLock(data_dir, timeout=0.2)
    owner.acquire("test")
    try:
        lock = WriteLock(data_dir, timeout=0.2)
        with lock.hold("test"), lock.journal("test"):
            pass
    finally:
        owner.release()


@pytest.mark.parametrize("name", DATA_FILES)
def test_a_symbolic_link_in_place_of_a_data_file_is_refused_and_its_target_untouched(tmp_path, name):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    target = tmp_path / "target.txt"
    target.write_text(PRECIOUS)
    before = target.stat()
    (data_dir / name).symlink_to(target)
    with pytest.raises(StoreError, match="is a symbolic link.*remove it and retry") as err:
        _write_once(data_dir)
    assert str(data_dir / name) in str(err.value) and "\n" not in str(err.value)
    assert target.read_text() == PRECIOUS
    assert target.stat().st_mtime_ns == before.st_mtime_ns
    assert (data_dir / name).is_symlink(), "the link itself is the user's to remove"


@pytest.mark.parametrize("name", DATA_FILES)
def test_a_directory_in_place_of_a_data_file_is_a_clear_error(tmp_path, name):
    data_dir = tmp_path / "data"
    (data_dir / name).mkdir(parents=True)
    with pytest.raises(StoreError, match="is a directory.*remove it and retry") as err:
        _write_once(data_dir)
    assert str(data_dir / name) in str(err.value)


def test_a_refused_owner_file_does_not_leave_the_folder_locked(tmp_path):
    data_dir = tmp_path / "data"
    (data_dir / "owner.lock.owner").mkdir(parents=True)
    with pytest.raises(StoreError):
        OwnerLock(data_dir, timeout=0.2).acquire("test")
    (data_dir / "owner.lock.owner").rmdir()
    _write_once(data_dir)  # the failed attempt kept no hold on owner.lock


def test_a_store_write_through_a_journal_link_fails_and_leaves_the_target_alone(settings, embedder, tmp_path):
    target = tmp_path / "elsewhere.json"
    target.write_text(PRECIOUS)
    store = Store(settings, embedder)
    store.open()
    try:
        os.symlink(target, settings.data_dir / "journal")
        with pytest.raises(StoreError, match="journal is a symbolic link"):
            store.add([load_text("The ferry to the island runs twice a day, the council said.", title="Ferry")])
    finally:
        store.close()
    assert target.read_text() == PRECIOUS
    (settings.data_dir / "journal").unlink()
    again = Store(settings, embedder)
    again.open()
    try:
        assert list(again.registry.records()) == [], "the refused write added nothing"
    finally:
        again.close()


def test_ordinary_data_files_still_work(tmp_path):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    _write_once(data_dir)
    _write_once(data_dir)  # existing lock and owner files are reused
    assert not (data_dir / "journal").exists()
    assert "pid" in (data_dir / "owner.lock.owner").read_text()
