"""Persona studio (the synthesized profile made readable, edit, approve, re-synthesize with progress)
and the playground beside it (replies streamed over the API's WebSocket, REST as the fallback)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

import reflex as rx

from frontend import api
from frontend.components import card, empty_state, error_callout, layout, notice_callout, section_title
from frontend.components.gates import feature_body
from frontend.feature_state import load_feature
from frontend.state import AuthState, SessionExpired


def _strs(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []


def citation_rows(citations: Any) -> list[dict[str, str]]:
    return [
        {
            "title": str(c.get("document_title") or "Untitled"),
            "document_id": str(c.get("document_id") or ""),
            "location": api.format_location(c.get("location")),
            "text": str(c.get("text") or "")[:400],
        }
        for c in (citations or [])
        if isinstance(c, dict)
    ]


def reply_message(reply: dict[str, Any]) -> dict[str, Any]:
    consistency = reply.get("consistency")
    return {
        "role": "assistant",
        "text": str(reply.get("reply") or reply.get("content") or ""),
        "mode": str(reply.get("mode") or ""),
        "grounded": "yes" if reply.get("grounded") else "no",
        "consistency": "" if consistency is None else f"{float(consistency):.2f}",
        "safety": str(reply.get("safety") or ""),
        "citations": citation_rows(reply.get("citations")),
        "streaming": "",
    }


class PersonaState(AuthState):
    available: bool = True
    loaded: bool = False
    error: str = ""
    notice: str = ""
    has_persona: bool = False
    version: int = 0
    status: str = ""
    approved_version: int = 0
    name: str = ""
    card_text: str = ""
    principles_text: str = ""
    voice: list[dict[str, str]] = []
    address_form: str = ""
    signature_phrases: list[str] = []
    themes: list[dict[str, Any]] = []
    dos: list[str] = []
    donts: list[str] = []
    versions: list[dict[str, str]] = []
    synth_status: str = "idle"
    synth_progress: int = 0
    synth_step: str = ""
    synth_error: str = ""
    # playground
    messages: list[dict[str, Any]] = []
    conversation_id: str = ""
    chatting: bool = False
    chat_error: str = ""
    draft: str = ""

    @rx.var
    def is_approved(self) -> bool:
        return self.has_persona and self.approved_version == self.version

    @rx.var
    def synth_running(self) -> bool:
        return self.synth_status in {"queued", "running"}

    def _apply(self, body: dict[str, Any]) -> None:
        current = body.get("current") or None
        self.approved_version = int(body.get("approved_version") or 0)
        synth = body.get("synthesis") or {}
        self.synth_status = str(synth.get("status") or "idle")
        progress = float(synth.get("progress") or 0)
        self.synth_progress = round(progress * 100 if progress <= 1 else progress)
        self.synth_step = str(synth.get("step") or "")
        self.synth_error = str(synth.get("error") or "")
        self.has_persona = bool(current)
        self.versions = [
            {"version": str(v["version"]), "status": str(v.get("status") or ""), "source": str(v.get("source") or ""),
             "created": str(v.get("created_at") or "")[:16].replace("T", " ")}
            for v in body.get("versions") or []
        ]  # fmt: skip
        if current:
            self._show(current)

    def _show(self, current: dict[str, Any]) -> None:
        """Put one persona version in the editor and the profile view."""
        self.version = int(current.get("version") or 0)
        self.status = str(current.get("status") or "")
        self.name = str(current.get("name") or "")
        self.card_text = str(current.get("card") or "")
        self.principles_text = "\n".join(_strs(current.get("principles")))
        profile = current.get("profile") or {}
        voice = profile.get("voice") or {}
        self.voice = [
            {"label": str(k).replace("_", " "), "value": f"{v:.2f}" if isinstance(v, float) else str(v)}
            for k, v in voice.items()
            if isinstance(v, str | int | float) and not isinstance(v, bool)
        ][:10]
        self.address_form = str(profile.get("address_form") or "")
        self.signature_phrases = _strs(profile.get("signature_phrases"))[:12]
        self.themes = [
            {
                "label": str(t.get("label") or ", ".join(_strs(t.get("key_phrases"))[:3])),
                "keywords": ", ".join(_strs(t.get("key_phrases"))[:6]),
                "passages": [p[:300] for p in _strs(t.get("passages"))[:2]],
            }
            for t in profile.get("themes") or []
            if isinstance(t, dict)
        ]
        self.dos = _strs(profile.get("dos"))
        self.donts = _strs(profile.get("donts"))

    @rx.event
    async def load(self) -> Any:
        self.error = self.notice = ""
        if (redirect := await load_feature(self, self._fetch)) is not None:
            return redirect
        return PersonaState.watch_synthesis if self.synth_running else None

    async def _fetch(self) -> None:
        self._apply(await self.call(api.persona))

    @rx.event
    async def save(self, form: dict[str, Any]) -> Any:
        approve = form.get("approve") in {True, "on", "true"}
        return await self._save(str(form.get("card", "")), str(form.get("principles", "")), approve)

    async def _save(self, card_text: str, principles: str, approve: bool) -> Any:
        self.error = self.notice = ""
        if not card_text.strip():
            self.error = "The persona card cannot be empty."
            return None
        body = {
            "card": card_text.strip(),
            "principles": [p.strip() for p in principles.splitlines() if p.strip()][:50],
            "approve": approve,
        }
        if self.name:
            body["name"] = self.name
        return await self._change(
            lambda: f"Saved as version {self.version}" + (" and approved." if self.is_approved else "."),
            api.save_persona,
            body,
        )

    @rx.event
    async def open_version(self, version: str) -> Any:
        """Show an earlier version (to read it, edit from it, or approve it again: a roll-back)."""
        self.error = ""
        try:
            self._show(await self.call(api.persona_version, int(version)))
        except SessionExpired:
            return self.to_signin()
        except api.ApiError as exc:
            self.error = exc.detail
        return None

    @rx.event
    async def approve(self) -> Any:
        self.error = self.notice = ""
        chosen = self.version
        redirect = await self._change(
            lambda: f"Version {chosen} is approved: your twin speaks with it now.", api.approve_persona, chosen
        )
        if redirect is None and not self.error and self.version != chosen:
            return await self.open_version(str(chosen))  # an earlier version was approved: keep it in view
        return redirect

    async def _change(self, notice: Callable[[], str], fn: Callable[..., Awaitable[object]], *args: Any) -> Any:
        """Call the API, reload the persona and say what happened (`notice` reads the reloaded state)."""
        try:
            await self.call(fn, *args)
            self._apply(await self.call(api.persona))
            self.notice = notice()
        except SessionExpired:
            return self.to_signin()
        except api.ApiError as exc:
            self.error = exc.detail
        return None

    @rx.event
    async def synthesize(self) -> Any:
        self.error = self.notice = self.synth_error = ""
        try:
            await self.call(api.synthesize_persona)
            self.synth_status, self.synth_progress, self.synth_step = "queued", 0, "Queued"
        except SessionExpired:
            return self.to_signin()
        except api.ApiError as exc:
            self.error = exc.detail
            return None
        return PersonaState.watch_synthesis

    @rx.event(background=True)
    async def watch_synthesis(self) -> Any:
        for _ in range(400):
            await asyncio.sleep(1.5)
            async with self:
                if not self.router.url.path.startswith("/persona"):
                    return None
                try:
                    self._apply(await self.call(api.persona))
                except SessionExpired:
                    return self.to_signin()
                except api.ApiError as exc:
                    self.error = exc.detail
                    return None
                if not self.synth_running:
                    if self.synth_status == "done":
                        self.notice = f"A new persona (version {self.version}) is ready for your review."
                    return None
        return None

    # --- playground ---------------------------------------------------------------------------------

    @rx.event
    def set_draft(self, value: str) -> None:
        self.draft = value

    @rx.event
    def new_conversation(self) -> None:
        self.messages, self.conversation_id, self.chat_error = [], "", ""

    @rx.event
    def send(self, form: dict[str, Any]) -> Any:
        text = str(form.get("message", "")).strip()
        if not text or self.chatting:
            return None
        self.chat_error = ""
        self.messages = [
            *self.messages,
            {"role": "user", "text": text, "citations": []},
            {"role": "assistant", "text": "", "streaming": "yes", "citations": []},
        ]
        self.chatting = True
        return [rx.set_value("playground-input", ""), PersonaState.stream_reply(text)]

    def _finish(self, reply: dict[str, Any]) -> None:
        self.conversation_id = str(reply.get("conversation_id") or self.conversation_id)
        self.messages = [*self.messages[:-1], reply_message(reply)]

    @rx.event(background=True)
    async def stream_reply(self, text: str) -> Any:
        """Stream over /ws/chat (tokens as they come); fall back to POST /api/v1/chat."""
        async with self:
            token, conversation_id = self.access_token, self.conversation_id
        try:
            reply = await self._stream_ws(token, text, conversation_id)
            async with self:
                if reply is None:  # no socket: one REST call, with silent refresh
                    reply = dict(await self.call(api.chat, text, conversation_id or None))
                self._finish(reply)
        except SessionExpired:
            async with self:
                self.chatting = False
                return self.to_signin()
        except api.ApiError as exc:
            async with self:
                self.messages = self.messages[:-1]
                self.chat_error = exc.detail
        finally:
            async with self:
                self.chatting = False
        return None

    async def _stream_ws(self, token: str, text: str, conversation_id: str) -> dict[str, Any] | None:
        """The WebSocket turn; None when streaming is unavailable (then the caller uses REST)."""
        try:
            import websockets
        except ImportError:
            return None
        frame: dict[str, Any] = {"type": "message", "text": text}
        if conversation_id:
            frame["conversation_id"] = conversation_id
        try:
            async with websockets.connect(api.ws_url("/ws/chat", token), open_timeout=5, max_size=2**22) as ws:
                await ws.send(json.dumps(frame))
                async with asyncio.timeout(180):
                    async for raw in ws:
                        msg = json.loads(raw)
                        kind = msg.get("type")
                        if kind == "token":
                            async with self:
                                last = self.messages[-1]
                                self.messages = [*self.messages[:-1], {**last, "text": last["text"] + msg["text"]}]
                        elif kind == "reply":
                            return dict(msg)
                        elif kind == "error":
                            if msg.get("error") in {"not_authenticated", "token_expired"}:
                                return None  # REST path refreshes the token and retries
                            raise api.ApiError(400, str(msg.get("error")), str(msg.get("detail") or "Chat failed"))
        except (OSError, TimeoutError, websockets.exceptions.WebSocketException):
            return None
        return None


# --- components --------------------------------------------------------------------------------------


def bullet_list(items: rx.Var, icon: str, color: str) -> rx.Component:
    return rx.vstack(
        rx.foreach(
            items,
            lambda t: rx.hstack(rx.icon(icon, size=14, color=rx.color(color, 10), flex_shrink="0", margin_top="3px"),
                                rx.text(t, size="2"), align="start", spacing="2"),
        ),
        spacing="1",
    )  # fmt: skip


def theme_box(t: rx.Var) -> rx.Component:
    return rx.box(
        rx.text(t["label"], weight="bold", size="2"),
        rx.text(t["keywords"], size="1", color_scheme="gray"),
        rx.foreach(t["passages"].to(list[str]), lambda p: rx.blockquote(p, size="1", margin_top="6px")),
        padding="10px",
        border_radius="8px",
        bg=rx.color("gray", 2),
        width="100%",
    )


def profile_card() -> rx.Component:
    return card(
        section_title("Profile", "fingerprint"),
        rx.cond(PersonaState.address_form != "",
                rx.text("Addresses the reader as “", PersonaState.address_form, "”", size="2")),
        rx.cond(PersonaState.voice.length() > 0,  # type: ignore[attr-defined]
                rx.flex(rx.foreach(PersonaState.voice, lambda v: rx.badge(v["label"], ": ", v["value"],
                                                                            variant="soft", size="1")),
                        wrap="wrap", spacing="1")),
        rx.cond(PersonaState.signature_phrases.length() > 0,  # type: ignore[attr-defined]
                rx.vstack(rx.text("Signature phrases", weight="medium", size="2"),
                          rx.flex(rx.foreach(PersonaState.signature_phrases,
                                             lambda p: rx.badge("“", p, "”", variant="outline")),
                                  wrap="wrap", spacing="1"), spacing="1")),
        rx.grid(
            rx.vstack(rx.text("Do", weight="medium", size="2"), bullet_list(PersonaState.dos, "check", "green")),
            rx.vstack(rx.text("Don't", weight="medium", size="2"), bullet_list(PersonaState.donts, "x", "red")),
            columns=rx.breakpoints(initial="1", sm="2"),
            spacing="3",
            width="100%",
        ),
        rx.cond(PersonaState.themes.length() > 0,  # type: ignore[attr-defined]
                rx.vstack(rx.text("Themes", weight="medium", size="2"), rx.foreach(PersonaState.themes, theme_box),
                          spacing="2", width="100%")),
    )  # fmt: skip


def editor_card() -> rx.Component:
    return card(
        rx.hstack(
            section_title("Persona card", "id-card"),
            rx.spacer(),
            rx.badge("v", PersonaState.version, variant="soft"),
            rx.cond(PersonaState.is_approved,
                    rx.badge("approved", color_scheme="green", data_testid="persona-approved"),
                    rx.badge(PersonaState.status, color_scheme="amber")),
            width="100%",
            align="center",
        ),
        rx.form(
            rx.vstack(
                rx.text_area(name="card", default_value=PersonaState.card_text, key=PersonaState.card_text,
                             rows="10", width="100%", read_only=~PersonaState.can_edit, data_testid="persona-card"),
                rx.text("Principles, one per line", size="2", weight="medium"),
                rx.text_area(name="principles", default_value=PersonaState.principles_text,
                             key=PersonaState.principles_text, rows="6", width="100%",
                             read_only=~PersonaState.can_edit),
                rx.cond(
                    PersonaState.can_edit,
                    rx.flex(
                        rx.button("Save as new version", type="submit", data_testid="persona-save"),
                        rx.cond(PersonaState.is_admin,
                                rx.text(rx.checkbox(name="approve", data_testid="persona-save-approve",
                                                    margin_right="6px"),
                                        "and approve it", as_="label", size="2")),
                        spacing="3",
                        wrap="wrap",
                        align="center",
                    ),
                ),
                width="100%",
                spacing="2",
            ),
            on_submit=PersonaState.save,
            width="100%",
        ),
        rx.cond(PersonaState.is_admin & ~PersonaState.is_approved,
                rx.button(rx.icon("badge-check", size=16), "Approve version as is", on_click=PersonaState.approve,
                          color_scheme="green", data_testid="persona-approve")),
    )  # fmt: skip


def version_row(v: rx.Var) -> rx.Component:
    shown = PersonaState.version.to(str) == v["version"]
    return rx.hstack(
        rx.badge("v", v["version"], variant=rx.cond(shown, "solid", "soft")),
        rx.badge(v["status"], color_scheme=rx.cond(v["status"] == "approved", "green", "gray"), variant="soft"),
        rx.text(v["source"], " · ", v["created"], size="1", color_scheme="gray"),
        rx.spacer(),
        rx.button("Show", size="1", variant="ghost", on_click=PersonaState.open_version(v["version"]),
                  disabled=shown, data_testid="persona-version-show"),
        width="100%",
        align="center",
        data_testid="persona-version",
    )  # fmt: skip


def versions_card() -> rx.Component:
    return card(
        section_title("Versions", "history"),
        rx.text("Every synthesis and edit is kept. Show one to read or edit from it; approving an earlier "
                "version rolls the twin back to it.", size="2", color_scheme="gray"),
        rx.foreach(PersonaState.versions, version_row),
    )  # fmt: skip


def synth_card() -> rx.Component:
    return card(
        rx.hstack(
            section_title("Synthesis", "wand-sparkles"),
            rx.spacer(),
            rx.cond(
                PersonaState.can_edit,
                rx.button(rx.icon("refresh-cw", size=14),
                          rx.cond(PersonaState.has_persona, "Re-synthesize", "Synthesize from my knowledge"),
                          on_click=PersonaState.synthesize, loading=PersonaState.synth_running,
                          data_testid="persona-synthesize"),
            ),
            width="100%",
            align="center",
            wrap="wrap",
        ),
        rx.cond(PersonaState.synth_running,
                rx.vstack(rx.progress(value=PersonaState.synth_progress, width="100%"),
                          rx.text(PersonaState.synth_step, size="2", color_scheme="gray"), width="100%")),
        rx.cond(PersonaState.synth_error != "",
                rx.callout(PersonaState.synth_error, icon="triangle-alert", color_scheme="red")),
        rx.text("Learns your voice, phrases, themes and principles from your ready documents.", size="2",
                color_scheme="gray"),
    )  # fmt: skip


def citation_chip(c: rx.Var) -> rx.Component:
    return rx.hover_card.root(
        rx.hover_card.trigger(
            rx.link(rx.badge(rx.icon("quote", size=10), c["title"], " ", c["location"], variant="surface", size="1"),
                    href="/knowledge/" + c["document_id"].to(str), data_testid="citation")
        ),
        rx.hover_card.content(rx.text(c["text"], size="1"), max_width="360px"),
    )  # fmt: skip


def message_bubble(m: rx.Var) -> rx.Component:
    is_user = m["role"] == "user"
    return rx.box(
        rx.cond(
            (m["text"] == "") & (m["streaming"] == "yes"),
            rx.hstack(rx.spinner(size="1"), rx.text("Thinking…", size="2", color_scheme="gray")),
            rx.text(m["text"], size="2", white_space="pre-wrap"),
        ),
        rx.cond(
            ~is_user & (m["mode"].to(str) != ""),
            rx.vstack(
                rx.flex(
                    rx.badge(m["mode"], color_scheme=rx.cond(m["mode"] == "llm", "indigo", "amber"),
                             data_testid="reply-mode"),
                    rx.cond(m["grounded"] == "yes", rx.badge("grounded", color_scheme="green", data_testid="grounded"),
                            rx.badge("not grounded", color_scheme="gray", data_testid="grounded")),
                    rx.cond(m["consistency"].to(str) != "",
                            rx.badge("consistency ", m["consistency"], variant="outline", data_testid="consistency")),
                    rx.cond(m["safety"].to(str) != "", rx.badge(m["safety"], color_scheme="red")),
                    spacing="1",
                    wrap="wrap",
                ),
                rx.flex(rx.foreach(m["citations"].to(list[dict[str, str]]), citation_chip), spacing="1",
                        wrap="wrap"),
                spacing="2",
                margin_top="8px",
            ),
        ),
        align_self=rx.cond(is_user, "flex-end", "flex-start"),
        bg=rx.cond(is_user, rx.color("accent", 4), rx.color("gray", 3)),
        padding="10px 14px",
        border_radius="12px",
        max_width="90%",
        data_testid=rx.cond(is_user, "msg-user", "msg-assistant"),
    )  # fmt: skip


def playground_card() -> rx.Component:
    return card(
        rx.hstack(section_title("Playground", "messages-square"), rx.spacer(),
                  rx.button("New conversation", size="1", variant="ghost", on_click=PersonaState.new_conversation),
                  width="100%", align="center"),
        rx.vstack(
            rx.cond(PersonaState.messages.length() == 0,  # type: ignore[attr-defined]
                    rx.text("Ask your twin what a member would ask. Replies cite your knowledge.", size="2",
                            color_scheme="gray", padding="12px")),
            rx.foreach(PersonaState.messages, message_bubble),
            width="100%",
            spacing="2",
            min_height="240px",
            max_height="60vh",
            overflow_y="auto",
            align="stretch",
        ),
        error_callout(PersonaState.chat_error),
        rx.form(
            rx.hstack(
                rx.input(name="message", id="playground-input", placeholder="How should I face a difficult day?",
                         flex="1", size="3", data_testid="playground-input", auto_complete="off"),
                rx.button(rx.icon("send", size=16), type="submit", size="3", loading=PersonaState.chatting,
                          data_testid="playground-send", aria_label="Send"),
                width="100%",
            ),
            on_submit=PersonaState.send,
            width="100%",
        ),
    )  # fmt: skip


def persona_page() -> rx.Component:
    return layout(
        error_callout(PersonaState.error),
        notice_callout(PersonaState.notice),
        feature_body(
            PersonaState.loaded,
            PersonaState.available,
            rx.grid(
                rx.vstack(
                    synth_card(),
                    rx.cond(PersonaState.has_persona, rx.vstack(editor_card(), versions_card(), profile_card(),
                                                                spacing="4", width="100%"),
                            card(empty_state("sparkles", "No persona yet",
                                             "Upload knowledge, then synthesize: your twin learns your voice."))),
                    spacing="4",
                    width="100%",
                ),
                rx.box(playground_card(), position=rx.breakpoints(initial="static", lg="sticky"), top="24px",
                       width="100%"),
                columns=rx.breakpoints(initial="1", lg="2"),
                spacing="4",
                width="100%",
                align="start",
            ),
            "The persona studio",
        ),
        title="Persona & playground",
        subtitle="How your twin speaks, and how it answers.",
    )  # fmt: skip
