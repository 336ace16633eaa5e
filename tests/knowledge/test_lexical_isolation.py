"""The full-text leg's narrow path (`knowledge_lexical`, a SECURITY DEFINER function that reads past RLS):
it answers for the transaction's tenant only, answers nothing without one, and no argument, setting or
object the app role controls can point it at another tenant.

Real PostgreSQL as the app role, real Redis, Chroma and embedding model; documents ingested by the real job.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from backend.features import open_services
from backend.knowledge import service
from backend.knowledge.jobs import ingest_document
from backend.knowledge.lexical import bm25, lexical_leg, refresh_stats
from backend.knowledge.search import search
from backend.lib.platform import Platform
from backend.lib.tenancy import TenantContext
from common.models import Creator
from common.settings import get_settings
from tests.knowledge.helpers import admin_fetch

pytestmark = pytest.mark.slow

# Both workspaces hold the question's words, so a filter that let the other tenant through would show.
A_TEXT = (
    b"The lighthouse keeper polishes the great lens every dawn so that ships can find the harbour. "
    b"A keeper who lets the lamp go out in a storm has failed every sailor at sea that night."
)
B_TEXT = (
    b"The lighthouse on the northern cliff guides the beekeeper home across the bay at dusk. "
    b"The keeper of the hives lifts the frames heavy with honey and smokes the bees gently."
)
QUESTION = "lighthouse keeper lens harbour beekeeper honey"
_CALL = text("SELECT chunk_id, score FROM knowledge_lexical(:q, :n)")


@pytest.fixture(scope="module")
async def two_tenants(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[dict[str, Any]]:
    """Two workspaces with one ingested document each, and a platform of this test's own event loop."""
    platform = Platform.open(dataclasses.replace(get_settings(), data_dir=tmp_path_factory.mktemp("lexical")))
    open_services(platform)
    tenants: dict[str, uuid.UUID] = {}
    for name, data in (("a", A_TEXT), ("b", B_TEXT)):
        cid = uuid.uuid4()
        async with platform.db.session(TenantContext(cid)) as db:
            db.add(Creator(id=cid, name=name))
            await db.flush()
            doc = await service.create(db, cid, data, f"{name}.txt", "txt", name, [])
            await db.commit()
        job = {"platform": platform}
        assert await ingest_document(job, creator_id=str(cid), document_id=str(doc.id), version=1) == "ready"
        tenants[name] = cid
    a, b = tenants["a"], tenants["b"]
    owned = {
        cid: {r["id"] for r in await admin_fetch("SELECT id FROM chunks WHERE creator_id = $1", cid)} for cid in (a, b)
    }
    assert owned[a] and owned[b]
    yield {"platform": platform, "a": a, "b": b, "chunks": owned}
    await platform.close()


async def _call(platform: Any, tenant: TenantContext | None, q: str = QUESTION, n: int = 40) -> list[Any]:
    async with platform.db.session(tenant) as db:
        return list(await db.execute(_CALL, {"q": q, "n": n}))


async def test_each_tenant_gets_only_its_own_passages(two_tenants: dict[str, Any]) -> None:
    platform, a, b, chunks = (two_tenants[k] for k in ("platform", "a", "b", "chunks"))
    for me, other in ((a, b), (b, a)):
        got = {r.chunk_id for r in await _call(platform, TenantContext(me))}
        assert got and got <= chunks[me] and not got & chunks[other]
        async with platform.db.session(TenantContext(me)) as db:
            rows = await lexical_leg(db, QUESTION, 40)
            assert {r.chunk_id for r in rows} == got
            for mode in ("fulltext", "hybrid", "vector"):
                hits = await search(platform, db, me, QUESTION, 10, mode)  # type: ignore[arg-type]
                assert hits and {h.chunk_id for h in hits} <= chunks[me], mode


async def test_no_tenant_means_no_rows(two_tenants: dict[str, Any]) -> None:
    platform = two_tenants["platform"]
    assert await _call(platform, None) == []
    async with platform.db.session(None) as db:
        assert await lexical_leg(db, QUESTION, 40) == []
        # An empty or malformed setting: nothing either (malformed fails the uuid cast, as RLS does).
        await db.execute(text("SELECT set_config('app.current_creator_id', '', true)"))
        assert list(await db.execute(_CALL, {"q": QUESTION, "n": 40})) == []
    async with platform.db.session(None) as db:
        await db.execute(text("SELECT set_config('app.current_creator_id', 'not-a-uuid', true)"))
        with pytest.raises(DBAPIError):
            await db.execute(_CALL, {"q": QUESTION, "n": 40})


async def test_the_function_cannot_be_steered_to_another_tenant(two_tenants: dict[str, Any]) -> None:
    platform, a, b, chunks = (two_tenants[k] for k in ("platform", "a", "b", "chunks"))
    # No argument names a tenant: the tenant comes from the transaction alone.
    args = await admin_fetch(
        "SELECT p.proargnames, p.proargtypes::regtype[]::text[] AS types, p.prosecdef, p.proconfig, "
        "pg_get_userbyid(p.proowner) AS owner FROM pg_proc p WHERE p.proname = 'knowledge_lexical'"
    )
    assert len(args) == 1
    assert "uuid" not in args[0]["types"] and args[0]["prosecdef"]
    assert "search_path=public, pg_temp" in args[0]["proconfig"]

    # Query text that tries tsquery or SQL syntax is only ever words to match, in A's passages.
    for q in (
        "lighthouse' | 'beekeep",
        "honey') OR true --",
        "x'; SELECT set_config('app.current_creator_id', '" + str(b) + "', true); --",
        "beekeeper & honey | !lighthouse",
        "",
    ):
        got = {r.chunk_id for r in await _call(platform, TenantContext(a), q)}
        assert got <= chunks[a], q
    # Limits are bounded, whatever is asked.
    assert await _call(platform, TenantContext(a), n=-5) == []
    assert len(await _call(platform, TenantContext(a), n=10**9)) <= len(chunks[a])

    async with platform.db.session(TenantContext(a)) as db:
        # A chunks table of the caller's own in pg_temp does not replace the real one (search_path pinned).
        await db.execute(text("CREATE TEMP TABLE chunks (id uuid, creator_id uuid, tsv tsvector)"))
        fake = uuid.uuid4()
        await db.execute(
            text("INSERT INTO pg_temp.chunks VALUES (:id, :cid, to_tsvector('english', 'lighthouse honey'))"),
            {"id": fake, "cid": a},
        )
        await db.execute(text("SET LOCAL search_path = pg_temp, public"))
        got = {r.chunk_id for r in await db.execute(_CALL, {"q": QUESTION, "n": 40})}
        assert got and fake not in got and got <= chunks[a]
        await db.rollback()
    async with platform.db.session(TenantContext(a)) as db:
        # The app role cannot become the function's owner, nor read B's passages around it.
        with pytest.raises(DBAPIError):
            await db.execute(text("SET ROLE coachtwin_search"))
        await db.rollback()
    async with platform.db.session(TenantContext(a)) as db:
        plain = {r[0] for r in await db.execute(text("SELECT id FROM chunks WHERE tsv @@ to_tsquery('honey')"))}
        assert plain <= chunks[a]

    # The owner can do nothing else: no login, no RLS bypass, read three columns of chunks and the stats.
    role = await admin_fetch(
        "SELECT rolcanlogin, rolbypassrls, rolsuper, "
        "has_table_privilege('coachtwin_search', 'documents', 'SELECT') AS documents, "
        "has_column_privilege('coachtwin_search', 'chunks', 'text', 'SELECT') AS chunk_text, "
        "has_table_privilege('coachtwin_search', 'chunks', 'UPDATE') AS chunk_update "
        "FROM pg_roles WHERE rolname = 'coachtwin_search'"
    )
    assert dict(role[0]) == {
        "rolcanlogin": False,
        "rolbypassrls": False,
        "rolsuper": False,
        "documents": False,
        "chunk_text": False,
        "chunk_update": False,
    }


async def test_scores_are_bm25_with_exact_document_frequencies(two_tenants: dict[str, Any]) -> None:
    platform, a = two_tenants["platform"], two_tenants["a"]
    terms = [
        r["t"] for r in await admin_fetch("SELECT unnest(tsvector_to_array(to_tsvector('english', $1))) AS t", QUESTION)
    ]
    held = await admin_fetch(
        "SELECT c.id, length(c.tsv) AS len, u.lexeme, array_length(u.positions, 1) AS tf "
        "FROM chunks c, unnest(c.tsv) u WHERE c.creator_id = $1",
        a,
    )
    docs: dict[uuid.UUID, dict[str, int]] = {}
    lengths: dict[uuid.UUID, int] = {}
    for r in held:
        docs.setdefault(r["id"], {})[r["lexeme"]] = r["tf"]
        lengths[r["id"]] = r["len"]
    df = {t: sum(t in d for d in docs.values()) for t in terms}
    # The corpus figures the ingestion recorded: A's passages only.
    stats = await admin_fetch("SELECT passages, avg_length FROM knowledge_stats WHERE creator_id = $1", a)
    assert stats[0]["passages"] == len(docs)
    assert stats[0]["avg_length"] == pytest.approx(sum(lengths.values()) / len(docs))
    expected = {i: bm25(terms, d, lengths[i], df, len(docs), stats[0]["avg_length"]) for i, d in docs.items()}
    got = {r.chunk_id: r.score for r in await _call(platform, TenantContext(a))}
    assert got and set(got) == {i for i, s in expected.items() if s > 0}
    for i, score in got.items():
        assert score == pytest.approx(expected[i], rel=1e-9)


async def test_without_corpus_figures_the_matches_stand_in(two_tenants: dict[str, Any]) -> None:
    platform, a, chunks = two_tenants["platform"], two_tenants["a"], two_tenants["chunks"]
    before = {r.chunk_id: r.score for r in await _call(platform, TenantContext(a))}
    await admin_fetch("DELETE FROM knowledge_stats WHERE creator_id = $1", a)  # as for data indexed before 0007
    try:
        got = {r.chunk_id: r.score for r in await _call(platform, TenantContext(a))}
        assert set(got) == set(before) and set(got) <= chunks[a]
        assert all(s > 0 for s in got.values())
    finally:
        async with platform.db.session(TenantContext(a)) as db:
            await refresh_stats(db, a)
            await db.commit()
    assert {r.chunk_id: r.score for r in await _call(platform, TenantContext(a))} == before
