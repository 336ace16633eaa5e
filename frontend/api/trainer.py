"""The trainer: the gold set (and a starter set proposed from the persona), evaluation runs and the
scorecard, corrections."""

from __future__ import annotations

from frontend.api.contracts import (
    CorrectionIn,
    CorrectionOut,
    EvaluationCreated,
    EvaluationIn,
    EvaluationOut,
    EvaluationRef,
    GoldIn,
    GoldOut,
    GoldProposal,
)
from frontend.api.transport import send

BASE = "/api/v1/twin"


async def gold(token: str) -> list[GoldOut]:
    return await send("GET", f"{BASE}/gold", token, into=list[GoldOut])


async def add_gold(token: str, body: GoldIn) -> GoldOut:
    return await send("POST", f"{BASE}/gold", token, body=body, into=GoldOut)


async def delete_gold(token: str, gold_id: str) -> None:
    await send("DELETE", f"{BASE}/gold/{gold_id}", token, into=None)


async def proposals(token: str) -> list[GoldProposal]:
    return await send("GET", f"{BASE}/gold/proposals", token, wait=120, into=list[GoldProposal])


async def evaluate(token: str, body: EvaluationIn) -> EvaluationCreated:
    return await send("POST", f"{BASE}/evaluations", token, body=body, into=EvaluationCreated)


async def evaluations(token: str) -> list[EvaluationRef]:
    return await send("GET", f"{BASE}/evaluations", token, into=list[EvaluationRef])


async def evaluation(token: str, evaluation_id: str) -> EvaluationOut:
    return await send("GET", f"{BASE}/evaluations/{evaluation_id}", token, into=EvaluationOut)


async def corrections(token: str) -> list[CorrectionOut]:
    return await send("GET", f"{BASE}/corrections", token, into=list[CorrectionOut])


async def correct(token: str, body: CorrectionIn) -> CorrectionOut:
    return await send("POST", f"{BASE}/corrections", token, body=body, into=CorrectionOut)


async def approve_correction(token: str, correction_id: str) -> CorrectionOut:
    return await send("POST", f"{BASE}/corrections/{correction_id}/approve", token, into=CorrectionOut)


async def delete_correction(token: str, correction_id: str) -> None:
    await send("DELETE", f"{BASE}/corrections/{correction_id}", token, into=None)
