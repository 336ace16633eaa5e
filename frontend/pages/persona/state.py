"""The persona studio's state: the newest (or a chosen) version, its readable profile, editing, approving and
synthesis with progress."""

from __future__ import annotations

import asyncio
from typing import Any

import reflex as rx

from frontend import api, format
from frontend.api import contracts
from frontend.state import AuthState, PageState, Redirect, event


def _strs(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []


def _excerpt(text: str, limit: int = 360) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[:limit].rsplit(" ", 1)[0] + " …"


class PersonaState(PageState, AuthState):
    has_persona: bool = False
    version: rx.Field[int] = rx.field(0)
    status: str = ""
    approved_version: int = 0
    name: str = ""
    card_text: str = ""
    principles_text: str = ""
    voice: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    voice_summary: str = ""
    principles: rx.Field[list[str]] = rx.field(default_factory=list)
    address_form: str = ""
    signature_phrases: rx.Field[list[str]] = rx.field(default_factory=list)
    themes: rx.Field[list[dict[str, Any]]] = rx.field(default_factory=list)
    dos: rx.Field[list[str]] = rx.field(default_factory=list)
    donts: rx.Field[list[str]] = rx.field(default_factory=list)
    versions: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    synth_status: str = "idle"
    synth_progress: int = 0
    synth_step: str = ""
    synth_error: str = ""

    @rx.var
    def is_approved(self) -> bool:
        return self.has_persona and self.approved_version == self.version

    @rx.var
    def synth_running(self) -> bool:
        return self.synth_status in {"queued", "running"}

    def _apply(self, body: contracts.PersonaState) -> None:
        self.approved_version = body.approved_version or 0
        synth = body.synthesis
        self.synth_status = str(synth.get("status") or "idle")
        self.synth_progress = format.percent(synth.get("progress"))
        self.synth_step = str(synth.get("step") or "")
        self.synth_error = str(synth.get("error") or "")
        self.has_persona = body.current is not None
        self.versions = [
            {"version": str(v.version), "status": v.status, "source": v.source, "created": v.created_at.isoformat()}
            for v in body.versions
        ]
        if body.current is not None:
            self._show(body.current)

    def _show(self, current: contracts.PersonaOut) -> None:
        """Put one persona version in the editor and the profile view."""
        self.version = current.version
        self.status = current.status
        self.name = current.name
        self.card_text = current.card
        self.principles_text = "\n".join(current.principles)
        profile = current.profile
        voice = profile.get("voice") or {}
        self.voice = [
            {"label": str(k).replace("_", " "), "value": f"{v:.2f}" if isinstance(v, float) else str(v)}
            for k, v in voice.items()
            if isinstance(v, str | int | float) and not isinstance(v, bool)
        ][:10]
        self.address_form = str(profile.get("address_form") or "")
        self.signature_phrases = _strs(profile.get("signature_phrases"))[:12]
        summary = _strs(profile.get("voice_summary"))
        self.voice_summary = (summary[0][:1].upper() + "; ".join(summary)[1:] + ".") if summary else ""
        self.principles = list(current.principles)
        self.themes = [
            {
                "label": str(t.get("label") or ", ".join(_strs(t.get("key_phrases"))[:3])),
                "keywords": ", ".join(_strs(t.get("key_phrases") or t.get("keywords"))[:6]),
                "passages": [_excerpt(p) for p in _strs(t.get("passages"))[:3]],
            }
            for t in profile.get("themes") or []
            if isinstance(t, dict)
        ]
        self.dos = _strs(profile.get("dos"))
        self.donts = _strs(profile.get("donts"))

    async def _fetch(self) -> None:
        self._apply(await self._call(api.twin.persona))

    @event
    async def load(self) -> Any:
        self._clear_messages()
        redirect = await self._load_page(self._fetch)
        self.loaded = redirect is None
        if redirect is None and self.synth_running:
            return PersonaState.watch_synthesis
        return redirect

    @event
    async def save(self, form: dict[str, Any]) -> Redirect:
        self._clear_messages()
        card_text, principles = str(form.get("card", "")).strip(), str(form.get("principles", ""))
        if not card_text:
            self.error = "The persona card cannot be empty."
            return None
        body = contracts.PersonaIn(
            card=card_text,
            principles=[p.strip() for p in principles.splitlines() if p.strip()][:50],
            name=self.name or None,
            approve=form.get("approve") in {True, "on", "true"},
        )

        async def work() -> Redirect:
            await self._call(api.twin.save_persona, body)
            await self._fetch()
            self.notice = f"Saved as version {self.version}" + (" and approved." if self.is_approved else ".")
            return None

        return await self._attempt(work)

    @event
    async def open_version(self, version: str) -> Redirect:
        """Show an earlier version (to read it, edit from it, or approve it again: a roll-back)."""
        self.error = ""

        async def work() -> Redirect:
            self._show(await self._call(api.twin.persona_version, int(version)))
            return None

        return await self._attempt(work)

    @event
    async def approve(self) -> Redirect:
        self._clear_messages()
        chosen = self.version

        async def work() -> Redirect:
            await self._call(api.twin.approve_persona, chosen)
            await self._fetch()
            self.notice = f"Version {chosen} is approved: your twin speaks with it now."
            if self.version != chosen:  # an earlier version was approved: keep it in view
                self._show(await self._call(api.twin.persona_version, chosen))
            return None

        return await self._attempt(work)

    @event
    async def synthesize(self) -> Any:
        self._clear_messages()
        self.synth_error = ""

        async def work() -> Redirect:
            await self._call(api.twin.synthesize_persona)
            self.synth_status, self.synth_progress, self.synth_step = "queued", 0, "Queued"
            return None

        redirect = await self._attempt(work)
        if redirect is not None or self.error:
            return redirect
        return PersonaState.watch_synthesis

    @event(background=True)
    async def watch_synthesis(self) -> Any:
        for _ in range(400):
            await asyncio.sleep(1.5)
            async with self:
                if not self.router.url.path.startswith("/persona"):
                    return None
                if (redirect := await self._attempt(self._fetch)) is not None or self.error:
                    return redirect
                if not self.synth_running:
                    if self.synth_status == "done":
                        self.notice = f"A new persona (version {self.version}) is ready for your review."
                    return None
        return None
