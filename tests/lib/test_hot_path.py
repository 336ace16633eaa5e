"""The authenticated read's hot path: remembered token verification, joined revocation MGETs, lean metrics.

Real Redis and the real app; nothing of ours is mocked.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import jwt
import pytest
import redis.asyncio as aioredis
from litestar.testing import AsyncTestClient

from backend.lib.errors import NotAuthenticated
from backend.lib.hotpath.mget import MGetBatcher
from backend.lib.memo import BoundedMemo
from backend.lib.security import Tokens
from common.settings import get_settings
from tests.conftest import OPS


@pytest.fixture
def tokens() -> Tokens:
    return Tokens(get_settings())


def test_a_remembered_token_still_expires_and_keeps_its_type(tokens: Tokens) -> None:
    token, _ = tokens.issue(typ="access", sub=uuid.uuid4(), cid=uuid.uuid4(), ttl=1, role="owner")
    assert tokens.verify(token, typ="access").role == "owner"
    assert token in tokens._verified
    with pytest.raises(NotAuthenticated, match="Expected a member token"):
        tokens.verify(token, typ="member")  # the type is checked on every use, remembered or not
    time.sleep(1.1)
    with pytest.raises(NotAuthenticated, match="expired"):
        tokens.verify(token, typ="access")
    assert token not in tokens._verified


def test_a_bounded_memo_forgets_its_oldest_entry_first() -> None:
    memo: BoundedMemo[str, int] = BoundedMemo(2)
    assert memo.put("a", 1) == 1 and memo.put("b", 2) == 2
    memo.put("c", 3)
    assert "a" not in memo and memo.get("b") == 2 and memo.get("c") == 3
    memo.forget("b")
    memo.forget("missing")
    assert memo.get("b") is None and "c" in memo


def test_a_failed_token_is_never_remembered(tokens: Tokens) -> None:
    token, _ = tokens.issue(typ="access", sub=uuid.uuid4(), cid=uuid.uuid4(), ttl=60)
    head, body, sig = token.split(".")
    forged = f"{head}.{body}.{sig[:-2]}{'AA' if sig[-2:] != 'AA' else 'BB'}"
    unsigned = jwt.encode(jwt.decode(token, options={"verify_signature": False}), None, algorithm="none")
    other_key = Tokens(dataclasses.replace(get_settings(), jwt_secret="another-secret-of-enough-length-0123456789"))
    wrong_key, _ = other_key.issue(typ="access", sub=uuid.uuid4(), cid=uuid.uuid4(), ttl=60)
    for bad in (forged, unsigned, wrong_key, "not.a.token"):
        for _ in range(2):
            with pytest.raises(NotAuthenticated, match="invalid"):
                tokens.verify(bad, typ="access")
        assert bad not in tokens._verified
    assert tokens.verify(token, typ="access").typ == "access"


@pytest.fixture
async def redis() -> AsyncIterator[aioredis.Redis]:
    r = aioredis.Redis.from_url(os.environ["REDIS_URL"], decode_responses=True)
    yield r
    await r.aclose()


class CountingRedis(aioredis.Redis):
    """The real client, counting the MGETs it sends (the server's commandstats count every process's)."""

    mgets = 0

    async def mget(self, *args: Any, **kwargs: Any) -> Any:
        self.mgets += 1
        return await super().mget(*args, **kwargs)


async def test_concurrent_mgets_go_as_one_and_each_caller_gets_its_own_answer(redis: aioredis.Redis) -> None:
    tag = uuid.uuid4().hex
    await redis.mset({f"batch:{tag}:{i}": str(i) for i in range(0, 40, 2)})  # odd keys missing
    counting = CountingRedis.from_url(os.environ["REDIS_URL"], decode_responses=True)
    batcher = MGetBatcher(counting)
    asks = [[f"batch:{tag}:{i}", f"batch:{tag}:{i + 1}"] for i in range(0, 40, 2)] + [[f"batch:{tag}:4"]]
    answers = await asyncio.gather(*(batcher.mget(keys) for keys in asks))
    assert counting.mgets == 1
    assert answers[:-1] == [[str(i), None] for i in range(0, 40, 2)] and answers[-1] == ["4"]
    assert await batcher.mget([f"batch:{tag}:0"]) == ["0"]  # a lone caller is not held back
    await redis.delete(*(f"batch:{tag}:{i}" for i in range(40)))
    await counting.aclose()


async def test_a_cancelled_caller_does_not_spoil_the_batch(redis: aioredis.Redis) -> None:
    tag = uuid.uuid4().hex
    await redis.set(f"batch:{tag}", "v", ex=60)
    batcher = MGetBatcher(redis)
    gone = asyncio.ensure_future(batcher.mget([f"batch:{tag}"]))
    kept = asyncio.ensure_future(batcher.mget([f"batch:{tag}", f"batch:{tag}:none"]))
    await asyncio.sleep(0)
    gone.cancel()
    assert await kept == ["v", None]
    assert gone.cancelled()


async def test_a_redis_error_reaches_every_caller_of_the_batch() -> None:
    broken = aioredis.Redis.from_url("redis://127.0.0.1:9/0", socket_connect_timeout=0.5)  # nothing listens
    batcher = MGetBatcher(broken)
    results = await asyncio.gather(batcher.mget(["a"]), batcher.mget(["b"]), return_exceptions=True)
    assert all(isinstance(r, Exception) for r in results)
    await broken.aclose()


async def test_requests_are_counted_by_route_template(client: AsyncTestClient[Any], creator: dict[str, Any]) -> None:
    for _ in range(2):
        assert (await client.get("/api/v1/workspace", headers=creator["headers"])).status_code == 200
    assert (await client.get("/api/v1/workspace")).status_code == 401
    text = (await client.get("/metrics", headers=OPS)).text
    line = 'app_name="coachtwin",method="GET",path="/api/v1/workspace",status_code="200"'
    assert f"litestar_requests_total{{{line}}}" in text
    assert f"litestar_request_duration_seconds_count{{{line}}}" in text
    assert "litestar_requests_total{" + line.replace('"200"', '"401"') + "}" in text
    assert "litestar_requests_in_progress{" in text
    assert "litestar_requests_error_total{" not in text  # no 5xx, no error series
    assert 'path="/metrics"' not in text and 'path="/health' not in text  # public paths are not measured


async def test_every_response_carries_a_request_id(client: AsyncTestClient[Any], creator: dict[str, Any]) -> None:
    mine = await client.get("/api/v1/workspace", headers={**creator["headers"], "X-Request-ID": "trace-42"})
    assert mine.status_code == 200 and mine.headers["x-request-id"] == "trace-42"
    made = await client.get("/api/v1/workspace", headers=creator["headers"])
    assert len(made.headers["x-request-id"]) == 32 and int(made.headers["x-request-id"], 16) >= 0
    assert made.headers["content-type"].startswith("application/json")
    guarded = await client.patch("/api/v1/workspace", headers=made.request.headers, json={"name": 5})
    assert guarded.status_code in (400, 422) and len(guarded.headers["x-request-id"]) == 32
    # A failed sign-in check is answered by the edge middleware itself: the same JSON error, with the id.
    missing = await client.get("/api/v1/workspace")
    forged = await client.get("/api/v1/workspace", headers={"Authorization": "Bearer not.a", "X-Request-ID": "t-43"})
    for refused in (missing, forged):
        assert refused.status_code == 401 and refused.json()["error"] == "not_authenticated"
        assert refused.headers["content-type"] == "application/json"
        assert int(refused.headers["content-length"]) == len(refused.content)
    assert len(missing.headers["x-request-id"]) == 32 and forged.headers["x-request-id"] == "t-43"


async def test_commands_are_packed_by_hiredis_with_redis_pys_encoding() -> None:
    from redis.asyncio.connection import Connection
    from redis.exceptions import DataError

    from backend.lib.cache import connect

    r = connect(os.environ["REDIS_URL"])
    conn = r.connection_pool.make_connection()
    assert type(conn).__name__ == "HiredisConnection"
    args = ("MGET", "a", "é", b"b", 3, 2.5, 1e20)
    assert conn.pack_command(*args) == [b"".join(Connection.pack_command(conn, *args))]  # redis-py's own bytes
    assert conn.pack_command("CONFIG GET", "maxmemory")[0].startswith(b"*3\r\n$6\r\nCONFIG\r\n$3\r\nGET\r\n")
    with pytest.raises(DataError):
        conn.pack_command("SET", "k", True)
    tag = uuid.uuid4().hex
    await r.set(f"pack:{tag}", "é", ex=30)
    await r.zadd(f"pack:{tag}:z", {"a": 1.5, "b": 1e-7})
    assert await r.mget([f"pack:{tag}", f"pack:{tag}:none"]) == ["é", None]
    assert await r.zrange(f"pack:{tag}:z", 0, -1, withscores=True) == [("b", 1e-7), ("a", 1.5)]
    assert 0 < await r.ttl(f"pack:{tag}") <= 30
    await r.delete(f"pack:{tag}", f"pack:{tag}:z")
    await r.aclose()
