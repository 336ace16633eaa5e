"""The Channels page's state: the web widget's settings, a Telegram bot, a WhatsApp number (the secrets typed
into the forms are sent once and never read back: the API does not return them)."""

from __future__ import annotations

from typing import Any, Literal

import reflex as rx

from frontend import api
from frontend.api.contracts import TelegramIn, TelegramOut, Theme, WebChannelIn, WebChannelOut, WhatsAppIn, WhatsAppOut
from frontend.state import AuthState, PageState, Redirect, event

POSITIONS = ["right", "left"]
SCHEMES = ["auto", "light", "dark"]


def _position(value: str) -> Literal["right", "left"]:
    return "left" if value == "left" else "right"


def _scheme(value: str) -> Literal["auto", "light", "dark"]:
    return "light" if value == "light" else "dark" if value == "dark" else "auto"


def _text(form: dict[str, Any], name: str) -> str | None:
    return str(form.get(name) or "").strip() or None


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
    tg_connected: bool = False
    tg_bot: str = ""
    tg_webhook: str = ""
    tg_last: str = ""  # ISO time of the last update received ("" for none), shown in the viewer's time zone
    tg_note: str = ""
    wa_connected: bool = False
    wa_number: str = ""
    wa_webhook: str = ""
    wa_template: str = ""
    wa_last: str = ""
    wa_note: str = ""

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
        await self._fetch_messaging()

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

    def _apply_telegram(self, tg: TelegramOut) -> None:
        self.tg_connected, self.tg_bot, self.tg_webhook = tg.connected, tg.bot_username or "", tg.webhook_url or ""
        self.tg_last = tg.last_update_at.isoformat() if tg.last_update_at else ""
        webhook = "Webhook set" if tg.webhook_set else "Webhook not set"
        self.tg_note = webhook + (f"; error: {tg.last_error}" if tg.last_error else "")

    def _apply_whatsapp(self, wa: WhatsAppOut) -> None:
        self.wa_connected, self.wa_number, self.wa_webhook = (
            wa.connected,
            wa.phone_number_id or "",
            wa.webhook_url or "",
        )
        self.wa_template = f"{wa.template_name} ({wa.template_language})" if wa.template_name else "none"
        self.wa_last = wa.last_update_at.isoformat() if wa.last_update_at else ""
        self.wa_note = f"Error: {wa.last_error}" if wa.last_error else ""

    async def _fetch_messaging(self) -> None:
        self._apply_telegram(await self._call(api.channels.telegram))
        self._apply_whatsapp(await self._call(api.channels.whatsapp))

    @event
    async def connect_telegram(self, form: dict[str, Any]) -> Redirect:
        self._clear_messages()
        body = TelegramIn(bot_token=str(form.get("bot_token") or "").strip(), api_base=_text(form, "api_base"))

        async def work() -> Redirect:
            self._apply_telegram(await self._call(api.channels.connect_telegram, body))
            self.notice = f"Telegram bot @{self.tg_bot} connected."
            return None

        return await self._attempt(work)

    @event
    async def disconnect_telegram(self) -> Redirect:
        self._clear_messages()

        async def work() -> Redirect:
            await self._call(api.channels.disconnect_telegram)
            self._apply_telegram(TelegramOut(connected=False))
            self.notice = "Telegram disconnected."
            return None

        return await self._attempt(work)

    @event
    async def connect_whatsapp(self, form: dict[str, Any]) -> Redirect:
        self._clear_messages()
        body = WhatsAppIn(
            phone_number_id=str(form.get("phone_number_id") or "").strip(),
            access_token=str(form.get("access_token") or "").strip(),
            app_secret=str(form.get("app_secret") or "").strip(),
            verify_token=str(form.get("verify_token") or "").strip(),
            api_base=_text(form, "wa_api_base"),
            template_name=_text(form, "template_name"),
            template_language=_text(form, "template_language"),
        )

        async def work() -> Redirect:
            self._apply_whatsapp(await self._call(api.channels.connect_whatsapp, body))
            self.notice = "WhatsApp number connected: point your Meta app's webhook at the address shown."
            return None

        return await self._attempt(work)

    @event
    async def disconnect_whatsapp(self) -> Redirect:
        self._clear_messages()

        async def work() -> Redirect:
            await self._call(api.channels.disconnect_whatsapp)
            self._apply_whatsapp(WhatsAppOut(connected=False))
            self.notice = "WhatsApp disconnected."
            return None

        return await self._attempt(work)
