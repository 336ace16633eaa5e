"""The Channels page's state: the web widget's settings (Telegram and WhatsApp sections come next)."""

from __future__ import annotations

from typing import Any, Literal

import reflex as rx

from frontend import api
from frontend.api.contracts import Theme, WebChannelIn, WebChannelOut
from frontend.state import AuthState, PageState, Redirect, event

POSITIONS = ["right", "left"]
SCHEMES = ["auto", "light", "dark"]


def _position(value: str) -> Literal["right", "left"]:
    return "left" if value == "left" else "right"


def _scheme(value: str) -> Literal["auto", "light", "dark"]:
    return "light" if value == "light" else "dark" if value == "dark" else "auto"


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.replace(",", "\n").splitlines() if line.strip()]


class ChannelsState(PageState, AuthState):
    public_key: str = ""
    snippet: str = ""
    companion_url: str = ""
    origins_text: str = ""
    require_identity: bool = False
    color: str = "#2563eb"
    position: str = "right"
    color_scheme: str = "auto"
    launcher_label: str = "Chat"
    avatar_url: str = ""
    welcome: str = ""
    starters_text: str = ""
    secret_set: bool = False
    secret_rotated: str = ""
    new_secret: str = ""  # shown once, right after it is made
    confirm_rotate: bool = False
    preview_nonce: int = 0  # bumped after a save: the preview reloads with the new look

    def _apply(self, web: WebChannelOut) -> None:
        self.public_key, self.snippet, self.companion_url = web.public_key, web.snippet, web.companion_url
        self.origins_text = "\n".join(web.allowed_origins)
        self.require_identity = web.require_identity
        self.color, self.position, self.color_scheme = web.theme.color, web.theme.position, web.theme.color_scheme
        self.launcher_label, self.avatar_url = web.theme.launcher_label, web.theme.avatar_url or ""
        self.welcome = web.welcome_message
        self.starters_text = "\n".join(web.starter_prompts)
        self.secret_set = web.identity_secret_set
        rotated = web.identity_secret_rotated_at
        self.secret_rotated = rotated.isoformat() if rotated else ""

    async def _fetch(self) -> None:
        self._apply(await self._call(api.channels.web))

    @rx.var
    def preview_key(self) -> str:
        return f"preview-{self.preview_nonce}"

    @rx.var
    def preview_doc(self) -> str:
        """A page that embeds the snippet, as a creator's site would (the widget's iframe inside it)."""
        if not self.snippet:
            return ""
        return (
            "<!doctype html><html><head><meta charset='utf-8'><title>Widget preview</title></head>"
            "<body style='margin:0;font-family:system-ui;background:#f5f5f4;color:#444;height:100vh'>"
            f"<p style='padding:16px'>Your site</p>{self.snippet}</body></html>"
        )

    @event
    async def load(self) -> Redirect:
        self._clear_messages()
        self.new_secret, self.confirm_rotate = "", False
        redirect = await self._load_page(self._fetch)
        self.loaded = redirect is None
        return redirect

    @event
    def set_require_identity(self, value: bool) -> None:
        self.require_identity = value

    @event
    def set_position(self, value: str) -> None:
        self.position = value if value in POSITIONS else "right"

    @event
    def set_color_scheme(self, value: str) -> None:
        self.color_scheme = value if value in SCHEMES else "auto"

    @event
    async def save(self, form: dict[str, Any]) -> Redirect:
        self._clear_messages()
        body = WebChannelIn(
            allowed_origins=_lines(str(form.get("origins", ""))),
            require_identity=self.require_identity,
            theme=Theme(
                color=str(form.get("color") or self.color),
                position=_position(self.position),
                color_scheme=_scheme(self.color_scheme),
                launcher_label=str(form.get("launcher_label") or "Chat").strip()[:40],
                avatar_url=str(form.get("avatar_url", "")).strip() or None,
            ),
            welcome_message=str(form.get("welcome", "")).strip(),
            starter_prompts=[line for line in str(form.get("starters", "")).splitlines() if line.strip()],
        )

        async def work() -> Redirect:
            self._apply(await self._call(api.channels.save_web, body))
            self.preview_nonce += 1
            self.notice = "Widget settings saved."
            return None

        return await self._attempt(work)

    @event
    def ask_rotate(self) -> None:
        self.confirm_rotate = True

    @event
    def cancel_rotate(self) -> None:
        self.confirm_rotate = False

    @event
    async def rotate(self) -> Redirect:
        self._clear_messages()
        self.confirm_rotate = False

        async def work() -> Redirect:
            made = await self._call(api.channels.rotate_identity_secret)
            self.new_secret = made.identity_secret
            self.secret_set, self.secret_rotated = True, made.rotated_at.isoformat()
            return None

        return await self._attempt(work)

    @event
    def hide_secret(self) -> None:
        self.new_secret = ""
