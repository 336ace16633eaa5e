"""The Trainer tab's state: the gold set (and a proposed starter set), evaluation runs with progress, the
scorecard over time, one run's results per question, and corrections waiting for approval."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import reflex as rx

from frontend import api, format
from frontend.api.contracts import EvaluationIn, EvaluationOut, EvaluationRef, GoldIn
from frontend.state import AuthState, Redirect, event

NO_DOCUMENT = "none"


def _run_row(r: EvaluationRef | EvaluationOut) -> dict[str, str]:
    s = r.summary
    return {
        "id": str(r.id),
        "when": r.created_at.isoformat(),  # shown in the viewer's time zone (components.when)
        "status": str(r.status),
        "progress": str(format.percent(r.progress)),
        "version": str(r.evaluated_version or r.persona_version or ""),
        "mode": r.mode or "",
        "answered": f"{format.percent(s.answered_rate)}%",
        "cited": f"{format.percent(s.cited_rate)}%",
        "similarity": f"{s.mean_similarity:.2f}",
        "count": f"{s.count}/{r.total}",
    }


class TrainerState(AuthState):
    trainer_loaded: bool = False
    trainer_error: str = ""
    trainer_notice: str = ""
    gold: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    documents: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    proposals: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    runs: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    chart: rx.Field[list[dict[str, Any]]] = rx.field(default_factory=list)
    run_id: str = ""
    run_when: str = ""
    run_status: str = ""
    run_progress: int = 0
    run_count: str = ""
    run_version: str = ""
    run_mode: str = ""
    run_error: str = ""
    results: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    corrections: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    running: bool = False

    def _failed(self, exc: api.ApiError) -> None:
        self.trainer_error = exc.detail

    async def _fetch(self) -> None:
        titles = {str(d.id): d.title for d in await self._call(api.knowledge.documents)}
        self.documents = [{"id": k, "title": v} for k, v in titles.items()]
        self.gold = [
            {"id": str(g.id), "question": g.question, "answer": g.answer,
             "cites": titles.get(str(g.must_cite_document_id), "") if g.must_cite_document_id else ""}
            for g in await self._call(api.trainer.gold)
        ]  # fmt: skip
        runs = await self._call(api.trainer.evaluations)
        # Runs are numbered from the first (the table and the chart name them alike, in no time zone).
        self.runs = [{**_run_row(r), "number": f"#{len(runs) - i}"} for i, r in enumerate(runs)]
        finished = [(n, r) for n, r in enumerate(reversed(runs), start=1) if str(r.status) == "done"]
        self.chart = [
            {"when": f"#{n}", "answered": format.percent(r.summary.answered_rate),
             "cited": format.percent(r.summary.cited_rate), "similarity": format.percent(r.summary.mean_similarity)}
            for n, r in finished
        ]  # fmt: skip
        self.corrections = [
            {"id": str(c.id), "question": c.question, "answer": c.answer, "approved": "yes" if c.approved else ""}
            for c in await self._call(api.trainer.corrections)
        ]
        self.running = any(r.status in ("queued", "running") for r in runs)

    @event
    def open_tab(self, tab: str) -> Any:
        """The Persona page's tabs: the Trainer loads when it is opened."""
        return TrainerState.load if tab == "trainer" else None

    @event
    async def load(self) -> Any:
        self.trainer_error, self.trainer_notice = "", ""
        redirect = await self._attempt(self._fetch, self._failed)
        self.trainer_loaded = redirect is None
        if redirect is None and self.running and self.runs:
            return TrainerState.watch_run(self.runs[0]["id"])
        return redirect

    @event
    async def add_gold(self, form: dict[str, Any]) -> Redirect:
        question, answer = str(form.get("question", "")).strip(), str(form.get("answer", "")).strip()
        if not question or not answer:
            self.trainer_error = "Write the question and the answer you would give."
            return None
        cite = str(form.get("cite") or NO_DOCUMENT)
        body = GoldIn(
            question=question, answer=answer, must_cite_document_id=None if cite == NO_DOCUMENT else uuid.UUID(cite)
        )
        return await self._save_gold(body, "Added to your gold set.")

    async def _save_gold(self, body: GoldIn, notice: str) -> Redirect:
        self.trainer_error, self.trainer_notice = "", ""

        async def work() -> Redirect:
            await self._call(api.trainer.add_gold, body)
            await self._fetch()
            self.trainer_notice = notice
            return None

        return await self._attempt(work, self._failed)

    @event
    async def delete_gold(self, gold_id: str) -> Redirect:
        async def work() -> Redirect:
            await self._call(api.trainer.delete_gold, gold_id)
            await self._fetch()
            return None

        return await self._attempt(work, self._failed)

    @event
    async def propose(self) -> Redirect:
        self.trainer_error = ""

        async def work() -> Redirect:
            self.proposals = [
                {"question": p.question, "answer": p.answer, "theme": p.theme,
                 "document": str(p.must_cite_document_id or "")}
                for p in await self._call(api.trainer.proposals)
            ]  # fmt: skip
            return None

        return await self._attempt(work, self._failed)

    @event
    async def add_proposal(self, index: int) -> Redirect:
        p = self.proposals[index]
        cite = uuid.UUID(p["document"]) if p["document"] else None
        body = GoldIn(question=p["question"], answer=p["answer"], must_cite_document_id=cite)
        self.proposals = [q for i, q in enumerate(self.proposals) if i != index]
        return await self._save_gold(body, "Added to your gold set: edit it any time.")

    @event
    async def evaluate(self) -> Any:
        self.trainer_error, self.trainer_notice = "", ""
        started: list[str] = []

        async def work() -> Redirect:
            created = await self._call(api.trainer.evaluate, EvaluationIn())
            started.append(str(created.id))
            await self._fetch()
            return None

        redirect = await self._attempt(work, self._failed)
        if redirect is not None or not started:
            return redirect
        self.running = True
        return TrainerState.watch_run(started[0])

    @event(background=True)
    async def watch_run(self, run_id: str) -> Any:
        """Follow a run's progress until it ends, then show its results."""
        for _ in range(600):
            await asyncio.sleep(1.0)
            async with self:
                if not self.router.url.path.startswith("/persona"):
                    return None
                if (redirect := await self._attempt(lambda: self._open(run_id), self._failed)) is not None:
                    return redirect
                if self.trainer_error or self.run_status in ("done", "failed"):
                    self.running = False
                    await self._attempt(self._fetch, self._failed)
                    return None
        return None

    async def _open(self, run_id: str) -> None:
        run = await self._call(api.trainer.evaluation, run_id)
        row = _run_row(run)
        self.run_id, self.run_when, self.run_status, self.run_count = (
            row["id"],
            row["when"],
            row["status"],
            row["count"],
        )
        self.run_progress, self.run_version, self.run_mode = format.percent(run.progress), row["version"], row["mode"]
        self.run_error = run.error or ""
        self.results = [
            {"question": r.question, "expected": r.expected, "reply": r.reply,
             "answered": "yes" if r.answered else "", "cited": "yes" if r.cited_ok else "",
             "similarity": f"{r.similarity:.2f}", "style": "" if r.style is None else f"{r.style:.2f}",
             "mode": r.mode}
            for r in run.results
        ]  # fmt: skip

    @event
    async def open_run(self, run_id: str) -> Redirect:
        return await self._attempt(lambda: self._open(run_id), self._failed)

    @event
    async def approve_correction(self, correction_id: str) -> Redirect:
        async def work() -> Redirect:
            await self._call(api.trainer.approve_correction, correction_id)
            await self._fetch()
            self.trainer_notice = "Approved: your twin answers with it from now on."
            return None

        return await self._attempt(work, self._failed)

    @event
    async def delete_correction(self, correction_id: str) -> Redirect:
        async def work() -> Redirect:
            await self._call(api.trainer.delete_correction, correction_id)
            await self._fetch()
            return None

        return await self._attempt(work, self._failed)
