"""The approaches the harness compares, each run through the real search and chat-decision code."""

from __future__ import annotations

import uuid
from typing import Any

from tests.bench.retrieval.harness import Trial, is_hit, quotes_answer, retrieval_figures

K = 5
SHIPPED = "hybrid: 40+40 candidates, closest-sentence and passage-cosine rankings in turn (shipped)"


def _retrievers() -> dict[str, dict[str, Any]]:
    """Name -> keyword arguments for `backend.knowledge.search.search` (each a retrieval approach)."""
    from backend.knowledge.search import Tuning

    return {
        "vector only (passage cosine)": {"mode": "vector"},
        "full text only (BM25)": {"mode": "fulltext"},
        "hybrid: 40+40 candidates re-ranked by closest sentence (before)": {"tuning": Tuning(interleave=False)},
        SHIPPED: {},
        "hybrid, 100+100 candidates, in turn": {"tuning": Tuning(candidates=100)},
        "hybrid, half passage cosine + half closest sentence": {"tuning": Tuning(passage_weight=0.5, interleave=False)},
    }


async def _search(platform: Any, cid: uuid.UUID, text: str, **kwargs: Any) -> list[Any]:
    from backend.knowledge.search import search
    from backend.lib.tenancy import TenantContext

    async with platform.db.session(TenantContext(cid)) as db:
        return await search(platform, db, cid, text, K, **kwargs)


async def _calibrations(platform: Any, spaces: dict[str, uuid.UUID], **kwargs: Any) -> dict[str, Any]:
    from backend.twin import calibration
    from backend.twin.grounding import best_score

    out = {}
    for author, cid in spaces.items():

        async def top(q: str, cid: uuid.UUID = cid) -> float:
            return best_score(await _search(platform, cid, q, **kwargs))

        out[author] = await calibration.measure(top)
    return out


async def run_all(
    platform: Any, spaces: dict[str, uuid.UUID], on: list[dict[str, Any]], off: list[dict[str, Any]]
) -> dict[str, Any]:
    from backend.twin.extractive import Passage, compose_extractive, is_grounded
    from backend.twin.grounding import best_score, decide, screen

    retrieval: dict[str, list[Trial]] = {}
    hits_by: dict[str, dict[tuple[str, str], list[Any]]] = {}
    for name, kwargs in _retrievers().items():
        trials: list[Trial] = []
        found: dict[tuple[str, str], list[Any]] = {}
        for q in on:
            hits = await _search(platform, spaces[q["author"]], q["question"], **kwargs)
            ranks = [i for i, h in enumerate(hits) if is_hit(h.text, q["answer_quote"])]
            trials.append(
                Trial(q["id"], q["author"], True, q["difficulty"], ranks[0] if ranks else None, best_score(hits))
            )
            found[(q["id"], q["author"])] = hits
        for q in off:
            hits = await _search(platform, spaces[q["author"]], q["question"], **kwargs)
            trials.append(Trial(q["id"], q["author"], False, q["kind"], None, best_score(hits)))
            found[(q["id"], q["author"])] = hits
        retrieval[name] = trials
        hits_by[name] = found

    # Gates, over what the shipped search finds.
    from backend.twin.calibration import DOMAIN_MIN, domain_model

    shipped = SHIPPED
    null = await _calibrations(platform, spaces)
    domain = await domain_model(platform.services.embedder)
    questions = [*on, *off]
    texts = {(q["id"], q["author"]): q["question"] for q in questions}
    vectors = await platform.services.embedder.encode([q["question"] for q in questions])
    domains = {(q["id"], q["author"]): domain.score(v) for q, v in zip(questions, vectors, strict=True)}
    base = retrieval[shipped]
    for t in base:
        key = (t.id, t.author)
        t.z = null[t.author].z(t.top)
        s = screen(texts[key])
        t.screened = s.intent.kind if s.intent else None
        hits = hits_by[shipped][key]
        passages = [Passage(str(i), h.text, h.similarity) for i, h in enumerate(hits)]
        t.extra["before"] = 1.0 if hits and is_grounded(texts[key], passages) else 0.0
        t.extra["domain"] = domains[key]
        # below the workspace's retrieval floor nothing is answered, whatever the question reads like
        t.extra["domain_floor"] = domains[key] if t.top >= null[t.author].floor() else -1.0

    gates: dict[str, Any] = {
        "before: global cosine 0.30/0.42 + topic-word overlap (fixed, not fitted)": (
            base,
            lambda t: t.extra["before"],
            False,
        ),
        "best passage score, one threshold": (base, lambda t: t.top, False),
        "best passage score against the workspace's null bank (z)": (base, lambda t: t.z, False),
        "coaching-question score (coaching bank vs null bank)": (base, lambda t: t.extra["domain"], False),
        "coaching-question score + workspace retrieval floor": (base, lambda t: t.extra["domain_floor"], False),
        "the same + small-talk / out-of-scope screen (shipped)": (base, lambda t: t.extra["domain_floor"], True),
    }

    # The chat turn as shipped: screen, search, decide with the production constants, compose offline.
    answered = quoted = quoted_before = on_n = off_refused = off_n = 0
    by_id = {(q["id"], q["author"]): q for q in on}
    samples: list[dict[str, str]] = []
    for t in base:
        key = (t.id, t.author)
        s = screen(texts[key])
        hits = hits_by[shipped][key] if s.retrieve else []
        d = decide(s, domains[key], hits, null[t.author])
        if t.on_topic:
            on_n += 1
            if d.grounded:
                answered += 1
                passages = [
                    Passage(f"S{i}", h.text, h.score, focus=h.focus, sentences=h.sentences)
                    for i, h in enumerate(hits, 1)
                ]
                reply, _ = compose_extractive(texts[key], passages, None)
                hit = quotes_answer(reply, by_id[key]["answer_quote"])
                quoted += hit
                # before issue 18's sentence ranking: each passage's closest sentence, in retrieval order
                for p in passages:
                    p.sentences = []
                before, _ = compose_extractive(texts[key], passages, None)
                quoted_before += quotes_answer(before, by_id[key]["answer_quote"])
                if hit and len(samples) < 4 and all(x["author"] != t.author for x in samples):
                    samples.append({"author": t.author, "question": texts[key], "reply": reply})
        else:
            off_n += 1
            off_refused += not d.grounded
    pipeline = {
        **retrieval_figures(base),
        "answered": round(answered / max(1, on_n), 3),
        "refused": round(off_refused / max(1, off_n), 3),
        "quotes": round(quoted / max(1, on_n), 3),
        "quotes_before": round(quoted_before / max(1, on_n), 3),
        "quotes_answered": round(quoted / max(1, answered), 3),
        "domain_min": DOMAIN_MIN,
        "samples": samples,
        "null": {
            a: {"mean": round(c.mean, 3), "std": round(c.std, 3), "floor": round(c.floor(), 3)} for a, c in null.items()
        },
    }
    return {"retrieval": retrieval, "gates": gates, "pipeline": pipeline}
