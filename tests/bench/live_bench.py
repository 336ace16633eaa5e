"""Issue-14 figures: live delivery to member sockets held by two API workers.

Set-up: a fresh `coachtwin_bench_live` database built by the migrations, its own Redis db, one workspace
with MEMBERS members (inserted in SQL) and a member token for each (minted with the API's own signing
settings). The API is served by granian with two workers (no job worker inside); a separate
`coachtwin worker` process runs the job queues. This process opens one `/ws/chat` socket per member (the
real `websockets` client on uvloop) and keeps them all open; the kernel spreads them over both workers.

1. **Pub/sub fan-out.** For SAMPLE random members a `message` frame is PUBLISHed on the member's channel
   (`backend/delivery/live.py`, what the delivery job does) carrying the time it was published; the figure
   is publish -> frame received on that member's socket. Two loads: a *burst* (all published back to
   back, as the timer worker's batch of due program steps does) and *paced* (PACED_RATE a second).
2. **Through the outbox.** The same number of messages written as one workspace's program step would write
   them (message rows + outbox rows, one transaction, committed at a known time); the figure is commit ->
   frame received: the delivery job's pick-up, its claim, the publish and the hop to the socket.

Load average (1 min) before and after each phase is reported with its figures: the machine is shared.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import resource
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from tests.bench import serving

NAME = "live"
TITLE = "Live delivery: 10,000 member sockets on two API workers, messages to 1,000 random members"
DB_NAME = "coachtwin_bench_live"
ROOT = Path(__file__).resolve().parents[2]
MEMBERS = 10_000
SAMPLE = 1_000
PACED_RATE = 500  # messages a second in the paced phase
TARGET_P99_MS = 100.0
WORKERS = 2


def pct(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, -(-int(p * len(ordered)) // 100) - 1)]


def distribution(values: list[float]) -> dict[str, Any]:
    buckets = [5, 10, 20, 50, 100, 200, 500, 1000]
    counts: dict[str, int] = {}
    low = 0.0
    for high in buckets:
        counts[f"{low:g}-{high:g} ms"] = sum(1 for v in values if low <= v < high)
        low = high
    counts[f">= {low:g} ms"] = sum(1 for v in values if v >= low)
    return {
        "n": len(values),
        "p50_ms": round(pct(values, 50), 1),
        "p90_ms": round(pct(values, 90), 1),
        "p99_ms": round(pct(values, 99), 1),
        "max_ms": round(max(values), 1) if values else 0.0,
        "histogram": counts,
    }


def load_average() -> float:
    return round(os.getloadavg()[0], 2)


def raise_nofile() -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = hard if hard != resource.RLIM_INFINITY else 65536
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    return int(resource.getrlimit(resource.RLIMIT_NOFILE)[0])


def _env() -> dict[str, str]:
    from tests.bench.api_bench import api_env
    from tests.fixtures import database

    admin, app = database.build_and_use(DB_NAME)
    redis_url = os.environ.get("BENCH_LIVE_REDIS_URL", "redis://127.0.0.1:6379/12")
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    return api_env(
        app, admin, redis_url, {"WORKER_IN_PROCESS": "false", "JOB_QUEUE": f"bench-live-{uuid.uuid4().hex[:6]}"}
    )


async def setup(env: dict[str, str], count: int) -> dict[str, Any]:
    """A workspace and its members, straight in SQL (what is measured starts after this)."""
    import asyncpg
    from sqlalchemy.engine import make_url

    from backend.lib.security import Tokens
    from common.settings import load_settings

    os.environ.update({k: env[k] for k in ("DATABASE_URL", "DATABASE_ADMIN_URL", "REDIS_URL", "APP_ENV")})
    settings = load_settings()
    admin = await asyncpg.connect(
        make_url(env["DATABASE_ADMIN_URL"]).set(drivername="postgresql").render_as_string(False)
    )
    creator_id = uuid.uuid4()
    try:
        await admin.execute("INSERT INTO creators (id, name) VALUES ($1, 'Live bench')", creator_id)
        members = [uuid.uuid4() for _ in range(count)]
        await admin.copy_records_to_table(
            "members",
            records=[(m, creator_id, f"bench-{i}", f"Member {i}", "UTC") for i, m in enumerate(members)],
            columns=["id", "creator_id", "external_id", "display_name", "timezone"],
        )
        conversations = [(uuid.uuid4(), creator_id, m, "member") for m in members]
        await admin.copy_records_to_table(
            "conversations", records=conversations, columns=["id", "creator_id", "member_id", "kind"]
        )
    finally:
        await admin.close()
    tokens = Tokens(settings)
    return {
        "creator_id": creator_id,
        "members": members,
        "conversations": {m: c for c, _, m, _ in conversations},
        "tokens": [tokens.issue(typ="member", sub=m, cid=creator_id, ttl=3600)[0] for m in members],
    }


class Socket:
    """One member's open chat: records when each pushed frame arrived."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.arrived: dict[str, float] = {}
        self.reader = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        try:
            async for raw in self.ws:
                now = time.time()
                frame = json.loads(raw)
                if frame.get("type") == "message":
                    self.arrived[frame["text"]] = now
                    ARRIVED.set()
        except Exception:
            return


ARRIVED = asyncio.Event()


async def open_all(
    base_ws: str, members: list[uuid.UUID], tokens: list[str]
) -> tuple[dict[uuid.UUID, Socket], float, int]:
    import websockets

    gate = asyncio.Semaphore(200)
    failures = 0

    async def one(token: str) -> Socket | None:
        nonlocal failures
        async with gate:
            try:
                ws = await websockets.connect(f"{base_ws}/ws/chat?token={token}", max_queue=64, open_timeout=60)
                ready = json.loads(await ws.recv())
                if ready.get("type") != "ready":
                    raise RuntimeError(ready)
                return Socket(ws)
            except Exception:
                failures += 1
                return None

    started = time.perf_counter()
    opened = await asyncio.gather(*(one(t) for t in tokens))
    held = {m: s for m, s in zip(members, opened, strict=True) if s is not None}
    return held, time.perf_counter() - started, failures


async def wait_for(sockets: dict[uuid.UUID, Socket], keys: dict[uuid.UUID, str], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(keys[m] in sockets[m].arrived for m in keys):
            return
        ARRIVED.clear()
        try:
            await asyncio.wait_for(ARRIVED.wait(), timeout=max(0.01, deadline - time.monotonic()))
        except TimeoutError:
            return


async def pubsub_phase(
    redis_url: str, creator_id: uuid.UUID, sockets: dict[uuid.UUID, Socket], paced: bool
) -> dict[str, Any]:
    from redis.asyncio import Redis

    from backend.delivery.live import publish

    redis = Redis.from_url(redis_url, decode_responses=True)
    chosen = random.Random(7 if paced else 3).sample(list(sockets), SAMPLE)
    sent: dict[uuid.UUID, tuple[str, float]] = {}
    load_before = load_average()
    try:
        start = time.perf_counter()
        for i, member in enumerate(chosen):
            if paced and (delay := i / PACED_RATE - (time.perf_counter() - start)) > 0:
                await asyncio.sleep(delay)
            key = f"{'paced' if paced else 'burst'}-{i}"
            frame = json.dumps({"type": "message", "id": str(uuid.uuid4()), "role": "program", "text": key})
            at = time.time()
            await publish(redis, creator_id, member, frame)
            sent[member] = (key, at)
        await wait_for(sockets, {m: k for m, (k, _) in sent.items()})
    finally:
        await redis.aclose()
    latencies = [(sockets[m].arrived[k] - at) * 1000 for m, (k, at) in sent.items() if k in sockets[m].arrived]
    return {
        **distribution(latencies),
        "lost": SAMPLE - len(latencies),
        "load_before": load_before,
        "load_after": load_average(),
    }


async def outbox_phase(env: dict[str, str], setup_: dict[str, Any], sockets: dict[uuid.UUID, Socket]) -> dict[str, Any]:
    """SAMPLE program messages written with their outbox rows in one transaction; commit -> socket."""
    from backend.delivery import outbox
    from backend.lib.platform import Platform
    from backend.lib.tenancy import TenantContext
    from common.enums import Channel, MessageSender
    from common.models import Message
    from common.settings import load_settings

    creator_id = setup_["creator_id"]
    chosen = random.Random(11).sample(list(sockets), SAMPLE)
    platform = Platform.open(load_settings())
    from backend.delivery.jobs import Delivery

    delivery = Delivery(platform)  # this process only queues the jobs: the worker process delivers
    load_before = load_average()
    keys = {m: f"outbox-{i}" for i, m in enumerate(chosen)}
    try:
        async with platform.db.session(TenantContext(creator_id)) as db:
            outgoing = []
            for m in chosen:
                message = Message(
                    creator_id=creator_id,
                    conversation_id=setup_["conversations"][m],
                    role="assistant",
                    sender=MessageSender.program.value,
                    content=keys[m],
                    mode="program",
                )
                db.add(message)
                outgoing.append((m, message.id))
            await db.flush()
            await outbox.stage(
                db, creator_id, [outbox.Outgoing(m, mid, f"bench:{mid}", Channel.web) for m, mid in outgoing]
            )
            committed = time.time()
            await db.commit()  # the commit listener queues the delivery jobs
        queued = time.time()
        await wait_for(sockets, keys, timeout=60)
    finally:
        await delivery.aclose()
        await platform.close()
    latencies = [(sockets[m].arrived[k] - committed) * 1000 for m, k in keys.items() if k in sockets[m].arrived]
    return {
        **distribution(latencies),
        "lost": SAMPLE - len(latencies),
        "commit_to_queued_ms": round((queued - committed) * 1000, 1),
        "load_before": load_before,
        "load_after": load_average(),
    }


def worker_command() -> list[str]:
    return [sys.executable, "-c", "from backend.features import run_worker; raise SystemExit(run_worker())"]


def run(options: Any) -> dict[str, Any]:
    import uvloop

    from tests.bench.api_bench import free_port

    limit = raise_nofile()
    port = free_port()
    env = _env()
    members = MEMBERS if not options.quick else 2_000
    result: dict[str, Any] = {"open_files_limit": limit, "members": members, "sample": SAMPLE, "workers": WORKERS}
    command = serving.granian_command(
        "backend.asgi:app", port, WORKERS, ["--backlog", "4096", "--backpressure", str(members + 1000)]
    )
    worker = subprocess.Popen(worker_command(), cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        with serving.serve(command, port, env, "/health"):

            async def main() -> None:
                data = await setup(env, members)
                print(f"  opening {members} sockets", flush=True)
                by_member, open_s, failures = await open_all(f"ws://127.0.0.1:{port}", data["members"], data["tokens"])
                result["open_s"], result["open_failures"], result["held"] = round(open_s, 1), failures, len(by_member)
                held = list(by_member.values())
                await asyncio.sleep(2)  # let the subscriptions settle before measuring
                print("  1. pub/sub burst", flush=True)
                result["burst"] = await pubsub_phase(env["REDIS_URL"], data["creator_id"], by_member, paced=False)
                print(f"     {result['burst']}", flush=True)
                print("  1. pub/sub paced", flush=True)
                result["paced"] = await pubsub_phase(env["REDIS_URL"], data["creator_id"], by_member, paced=True)
                print(f"     {result['paced']}", flush=True)
                print("  2. through the outbox", flush=True)
                result["outbox"] = await outbox_phase(env, data, by_member)
                print(f"     {result['outbox']}", flush=True)
                for i in range(0, len(held), 500):
                    await asyncio.gather(*(s.ws.close() for s in held[i : i + 500]), return_exceptions=True)

            uvloop.run(main())
    finally:
        worker.terminate()
        worker.wait(20)
    result["targets"] = {"p99_ms": TARGET_P99_MS, "sockets": members}
    result["meets"] = {
        "sockets": result.get("held", 0) >= members,
        "burst_p99": result["burst"]["p99_ms"] <= TARGET_P99_MS and result["burst"]["lost"] == 0,
        "paced_p99": result["paced"]["p99_ms"] <= TARGET_P99_MS and result["paced"]["lost"] == 0,
    }
    return result


def report(result: dict[str, Any]) -> str:
    def row(label: str, d: dict[str, Any]) -> str:
        return (
            f"| {label} | {d['n']} | {d['p50_ms']} | {d['p90_ms']} | {d['p99_ms']} | {d['max_ms']} | {d['lost']} "
            f"| {d['load_before']} -> {d['load_after']} |"
        )

    lines = [
        f"{result.get('held')} of {result.get('members')} member sockets held by {result.get('workers')} granian "
        f"workers (opened in {result.get('open_s')} s, {result.get('open_failures')} failures); one message each "
        f"for {result.get('sample')} random members.",
        "",
        "| phase | n | p50 ms | p90 ms | p99 ms | max ms | lost | load avg (1 min) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
        row("publish -> socket, burst", result["burst"]),
        row(f"publish -> socket, paced {PACED_RATE}/s", result["paced"]),
        row("outbox commit -> socket (delivery job)", result["outbox"]),
        "",
        f"Target: p99 <= {TARGET_P99_MS:g} ms. Met: {result.get('meets')}.",
        "",
        "Distribution (publish -> socket, burst): "
        + ", ".join(f"{k}: {v}" for k, v in result["burst"]["histogram"].items()),
        "",
        "Distribution (paced): " + ", ".join(f"{k}: {v}" for k, v in result["paced"]["histogram"].items()),
        "",
        "Distribution (outbox): " + ", ".join(f"{k}: {v}" for k, v in result["outbox"]["histogram"].items()),
    ]
    return "\n".join(lines)
