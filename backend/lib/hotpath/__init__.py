"""The tuned read path, kept apart from the general one every other route takes.

`GET /api/v1/workspace` is the one route on it (the hub and the widget call it on every page); the api bench
(`python -m tests.bench.run --only api`, wrk against one granian worker on 2 cores) measures it side by side
with a bare Litestar hello world. Each piece, why it exists, and what it bought on that bench (details and
the runs: tests/bench/README.md):

- `readcache.py`  the tenant's copy of the read in Redis, fetched in the revocation MGET the auth check makes
  anyway: no PostgreSQL and no extra round trip on a hit. Cache off ~12-14% of hello, on 47-60%.
- `mget.py`       the revocation MGETs of one event-loop turn leave as ONE MGET: ~203 -> ~123 us of worker
  CPU per read.
- `packing.py`    hiredis packs the Redis commands in C (redis-py's asyncio connections pack in Python, ~1 us
  a key; a joined MGET carries up to 256 keys).
- `rawread.py`    a miss reads PostgreSQL on a plain asyncpg pool (`BEGIN; set_config` + SELECT + COMMIT), no
  ORM session: 795 -> ~2,000 req/s with the cache off.
- `responses.py`  `ReadyJSON`, an encoded body as an ASGI app: Litestar's generic Response path was ~15% of
  the cached read. (The edge middleware also answers its 401s with it.)

Relied on, but general: the edge middleware (`backend/lib/edge.py`: one pass over the headers for request id,
metrics and caller), verified tokens and their principals remembered by exact text (`backend/lib/security.py`,
`principal.py`), `gc.freeze()` after start-up (`backend/app.py`: p99 ~110 -> ~10 ms). A route on this path has
no guard (Litestar copies the handler per guard call) and no injected dependencies (two or more run in a task
group): see `WorkspaceController.read` in `backend/team/controllers.py`. A new route does NOT need any of
this: use the general path (`Db`, guards, a plain return) unless a benchmark says otherwise.
"""
