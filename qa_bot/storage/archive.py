"""The archive of added articles: the data a user gave, kept apart from everything derived from it.

The registry, the BM25 index and Chroma are all derived: each can be rebuilt from ``corpus/``
plus this archive. An added article is written here — one checksummed JSON file per article,
flushed to disk — *before* anything is indexed, and deleted only after its registry row is gone.
So a deleted or damaged registry loses nothing: the store rebuilds it from the corpus and the
archive (see :meth:`qa_bot.storage.store.Store.open`).

Files never follow symbolic links, and their names come from article ids, which the loaders
restrict to letters, digits, ``.``, ``_`` and ``-`` (never a path).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from qa_bot.errors import StoreError
from qa_bot.models import Article

log = logging.getLogger(__name__)

FORMAT = 1
_SUFFIX = ".json"


@dataclass
class ArchiveContents:
    """What :meth:`ArticleArchive.load_all` read: the articles, and the files it could not use."""

    articles: list[Article] = field(default_factory=list)
    damaged: list[str] = field(default_factory=list)


def _payload(article: Article) -> dict:
    body = article.to_dict()
    digest = hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()
    return {"format": FORMAT, "sha256": digest, "article": body}


def _article(payload: dict) -> Article:
    body = payload["article"]
    digest = hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()
    if payload.get("format") != FORMAT or digest != payload.get("sha256"):
        raise ValueError("checksum mismatch")
    published = body.get("published") or ""
    return Article(id=body["id"], title=body["title"], text=body["text"], outlet=body.get("outlet", ""),
                   url=body.get("url", ""), published=date.fromisoformat(published) if published else None,
                   author=body.get("author", ""), source=body.get("source", ""), extra=dict(body.get("extra") or {}))


class ArticleArchive:
    """One file per added article under ``folder`` (created on first write).

    Args:
        folder: where the files live, normally ``<data dir>/articles``.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def _path(self, article_id: str) -> Path:
        if not article_id or "/" in article_id or "\\" in article_id or article_id in (".", ".."):
            raise StoreError(f"article id {article_id!r} cannot name a file in {self.folder}")
        return self.folder / f"{article_id}{_SUFFIX}"

    def write(self, articles: Iterable[Article]) -> None:
        """Keep these articles, each durably on disk (written, flushed and renamed into place) on return.

        Raises:
            StoreError: the folder cannot be written (full disk, permissions, a link in the way).
        """
        articles = list(articles)
        if not articles:
            return
        try:
            if self.folder.is_symlink():
                raise StoreError(f"{self.folder} is a symbolic link; qa-bot does not write through links in its "
                                 "data folder — replace it with a real folder and retry")
            self.folder.mkdir(parents=True, exist_ok=True)
            for article in articles:
                self._write_one(self._path(article.id), _payload(article))
            _fsync_dir(self.folder)
        except OSError as err:
            raise StoreError(f"{self.folder}: cannot keep the added articles ({err.strerror or err}); "
                             "free disk space or fix the folder's permissions, then retry — nothing was added") from None

    @staticmethod
    def _write_one(path: Path, payload: dict) -> None:
        tmp = path.with_name(path.name + ".tmp")
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o644)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)

    def remove(self, article_ids: Iterable[str]) -> None:
        """Forget articles (missing files are fine)."""
        for article_id in article_ids:
            try:
                self._path(article_id).unlink(missing_ok=True)
            except OSError as err:  # the registry no longer lists it; a left-over file is only re-added on restore
                log.warning("could not delete %s: %s", self._path(article_id), err)
        if self.folder.is_dir():
            _fsync_dir(self.folder)

    def ids(self) -> set[str]:
        """Ids of the kept articles (by file name; contents are not read)."""
        if not self.folder.is_dir():
            return set()
        return {p.name[: -len(_SUFFIX)] for p in self.folder.iterdir() if p.name.endswith(_SUFFIX)}

    def load_all(self) -> ArchiveContents:
        """Every kept article whose checksum holds; the others are named in ``damaged`` (and left in place)."""
        out = ArchiveContents()
        if not self.folder.is_dir():
            return out
        for path in sorted(self.folder.glob(f"*{_SUFFIX}")):
            try:
                out.articles.append(_article(json.loads(path.read_text(encoding="utf-8"))))
            except (OSError, ValueError, KeyError, TypeError) as err:
                log.warning("%s: not restored (%s)", path, err)
                out.damaged.append(str(path))
        return out


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
