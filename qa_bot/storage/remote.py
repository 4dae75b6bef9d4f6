"""A joining process's side of the data folder's index server (:mod:`qa_bot.storage.server`).

:class:`RemoteClient` has the few client and collection methods :class:`~qa_bot.storage.index.ChunkIndex`
calls, each sent to the owner's server with the secret from ``index-server.json``; a refusal or an
unreachable server is a one-line :class:`~qa_bot.errors.StoreError`.
"""

from __future__ import annotations

import json

import numpy as np

from qa_bot.errors import StoreError
from qa_bot.storage.server import CALL_PATH, ServerAddress


class RemoteCollection:
    """A collection of the index server, with the methods :class:`~qa_bot.storage.index.ChunkIndex` calls."""

    def __init__(self, client: RemoteClient, name: str) -> None:
        self._client = client
        self.name = name

    def _call(self, op: str, **args):
        return self._client.call(op, args, collection=self.name)

    def count(self) -> int:
        """How many records the collection holds."""
        return int(self._call("count"))

    def upsert(self, ids, embeddings, documents, metadatas) -> None:
        """Insert or replace records."""
        self._call("upsert", ids=list(ids), embeddings=np.asarray(embeddings, dtype=np.float32).tolist(),
                   documents=list(documents), metadatas=list(metadatas))

    def delete(self, ids=None, where=None) -> None:
        """Delete records by id or by a metadata filter."""
        self._call("delete", ids=ids, where=where)

    def get(self, ids=None, where=None, include=None, limit=None, offset=None) -> dict:
        """Records by id or filter, as Chroma's ``get`` returns them."""
        return self._call("get", ids=ids, where=where, include=include if include is not None else
                          ["documents", "metadatas"], limit=limit, offset=offset)

    def query(self, query_embeddings, n_results=10, where=None, include=None) -> dict:
        """The nearest records to each query vector, as Chroma's ``query`` returns them."""
        return self._call("query", query_embeddings=np.asarray(query_embeddings, dtype=np.float32).tolist(),
                          n_results=n_results, where=where,
                          include=include if include is not None else ["documents", "metadatas", "distances"])


class RemoteClient:
    """The client a joining store uses: the index server at ``address``, with its secret.

    Raises:
        StoreError: (from any call) the server cannot be reached, refuses the secret, or the call failed.
    """

    def __init__(self, address: ServerAddress, timeout: float = 600.0) -> None:
        import httpx

        self.address = address
        self._http = httpx.Client(base_url=f"http://{address.host}:{address.port}",
                                  headers={"Authorization": f"Bearer {address.secret}"},
                                  timeout=httpx.Timeout(timeout, connect=5.0), trust_env=False)

    def call(self, op: str, args: dict, collection: str | None = None):
        """Run ``op`` on the server (on ``collection`` when given); returns its result."""
        import httpx

        call = {"op": op, "args": args, **({"collection": collection} if collection is not None else {})}
        try:
            response = self._http.post(CALL_PATH, content=json.dumps(call))
        except httpx.HTTPError as err:
            raise StoreError(f"cannot reach the data folder's index server at {self.address.host}:"
                             f"{self.address.port} ({type(err).__name__}); retry, or close the app that "
                             "serves it") from None
        try:
            body = response.json()
        except ValueError:
            body = {"error": response.text[:200]}
        if response.status_code != 200:
            raise StoreError(f"the data folder's index server refused {op} ({response.status_code}: "
                             f"{body.get('error', '')})")
        return body.get("result")

    def heartbeat(self) -> int:
        """Check the server answers (and admits this client); raises StoreError when not."""
        self.call("get_max_batch_size", {})
        return 0

    def get_or_create_collection(self, name: str, embedding_function=None, configuration=None) -> RemoteCollection:
        """The server's collection ``name``, created with ``configuration`` when missing."""
        self.call("get_or_create_collection", {"name": name, "configuration": configuration})
        return RemoteCollection(self, name)

    def delete_collection(self, name: str) -> None:
        """Drop the server's collection ``name`` (a rebuild starts from nothing)."""
        self.call("delete_collection", {"name": name})

    def get_max_batch_size(self) -> int:
        """The most records one call may carry, as the owner's Chroma reports it."""
        return int(self.call("get_max_batch_size", {}))

    def close(self) -> None:
        """Close the connection to the server."""
        self._http.close()


def connect(address: ServerAddress) -> RemoteClient:
    """A client of the index server at ``address``, checked to answer.

    Raises:
        StoreError: it does not answer, or refuses the secret.
    """
    client = RemoteClient(address)
    try:
        client.heartbeat()
    except StoreError:
        client.close()
        raise
    return client
