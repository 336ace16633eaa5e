"""The vector store: one Chroma collection per tenant, embedded on disk or a Chroma server.

Collections are named `creator_<uuid>_knowledge`, so a query can only ever reach one tenant's vectors:
no metadata filter stands between tenants. We always pass embeddings ourselves (no model downloads).
"""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np


def collection_name(creator_id: uuid.UUID | str) -> str:
    return f"creator_{uuid.UUID(str(creator_id))}_knowledge"


class VectorStore:
    def __init__(self, path: Path | None = None, url: str = "") -> None:
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
        if url:
            parts = urlsplit(url)
            self._client: Any = chromadb.HttpClient(
                host=parts.hostname or "127.0.0.1",
                port=parts.port or 8000,
                ssl=parts.scheme == "https",
                settings=chroma_settings,
            )
            self.where = url
        else:
            assert path is not None
            path.mkdir(parents=True, exist_ok=True)
            self._client = chromadb.PersistentClient(path=str(path), settings=chroma_settings)
            self.where = str(path)
        self._collections: dict[str, Any] = {}

    def _collection(self, creator_id: uuid.UUID | str) -> Any:
        name = collection_name(creator_id)
        found = self._collections.get(name)
        if found is None:
            found = self._client.get_or_create_collection(
                name=name, embedding_function=None, metadata={"hnsw:space": "cosine"}
            )
            self._collections[name] = found
        return found

    async def upsert(
        self,
        creator_id: uuid.UUID,
        ids: list[str],
        embeddings: np.ndarray,
        metadatas: list[dict[str, Any]],
    ) -> None:
        if not ids:
            return
        col = self._collection(creator_id)
        await asyncio.to_thread(col.upsert, ids=ids, embeddings=embeddings.tolist(), metadatas=metadatas)

    async def query(self, creator_id: uuid.UUID, embedding: np.ndarray, k: int) -> list[tuple[str, float]]:
        """(id, cosine similarity) of the k nearest passages."""
        col = self._collection(creator_id)

        def run() -> Any:
            # No count() first (a round trip of its own): an empty collection answers with no ids.
            return col.query(query_embeddings=[embedding.tolist()], n_results=k, include=["distances"])

        res = await asyncio.to_thread(run)
        if not res or not res["ids"] or not res["ids"][0]:
            return []
        return [(i, 1.0 - float(d)) for i, d in zip(res["ids"][0], res["distances"][0], strict=True)]

    async def delete(self, creator_id: uuid.UUID, ids: list[str]) -> None:
        if ids:
            col = self._collection(creator_id)
            await asyncio.to_thread(col.delete, ids=ids)

    async def count(self, creator_id: uuid.UUID) -> int:
        return int(await asyncio.to_thread(self._collection(creator_id).count))

    async def ids(self, creator_id: uuid.UUID) -> set[str]:
        got = await asyncio.to_thread(self._collection(creator_id).get, include=[])
        return set(got["ids"])

    async def embeddings(self, creator_id: uuid.UUID, ids: list[str]) -> np.ndarray | None:
        """Stored embeddings in the order of `ids` (None when any is missing)."""
        got = await asyncio.to_thread(self._collection(creator_id).get, ids=ids, include=["embeddings"])
        by_id = dict(zip(got["ids"], got["embeddings"], strict=True))
        if len(by_id) != len(ids):
            return None
        return np.asarray([by_id[i] for i in ids], dtype=np.float32)

    async def drop_tenant(self, creator_id: uuid.UUID) -> None:
        name = collection_name(creator_id)
        self._collections.pop(name, None)
        try:
            await asyncio.to_thread(self._client.delete_collection, name)
        except Exception:  # chroma raises different types across versions when it does not exist
            return

    async def health(self) -> dict[str, Any]:
        beat = await asyncio.to_thread(self._client.heartbeat)
        return {"where": self.where, "heartbeat": int(beat)}
