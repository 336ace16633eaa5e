"""Auth state only: tokens kept in the browser, who is signed in, silent refresh, sign-in redirects.

Every page state subclasses `AuthState` and calls the API through `self.call(api.fn, ...)`, which adds
the access token, refreshes it once on a 401 (the refresh token rotates: each works once) and retries.
When the session cannot be renewed, `SessionExpired` is raised and the page answers `self.to_signin()`,
which returns to the page the user was on after they sign in again.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar
from urllib.parse import quote

import reflex as rx

from frontend import api

T = TypeVar("T")
Fetch = Callable[[], Awaitable[object]]
ROLE_RANK = {"viewer": 0, "editor": 1, "admin": 2, "owner": 3}


class SessionExpired(Exception):
    """No valid session: the page should send the user to sign in."""


def safe_next(target: str | None) -> str:
    """Only same-site paths are followed after sign-in (no open redirects)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    if target.startswith(("/login", "/signup", "/logout")):
        return "/"
    return target


class AuthState(rx.State):
    access_token: str = rx.LocalStorage("", name="ct_access_token", sync=True)
    refresh_token: str = rx.LocalStorage("", name="ct_refresh_token", sync=True)
    user_id: str = ""
    user_name: str = ""
    user_email: str = ""
    workspace_id: str = ""
    workspace_name: str = ""
    role: str = ""
    form_error: str = ""
    busy: bool = False
    signup_sent_to: str = ""  # a sign-up was asked for: the confirmation link is on its way to this address

    # --- derived ------------------------------------------------------------------------------------

    @rx.var
    def signed_in(self) -> bool:
        return bool(self.user_id)

    @rx.var
    def is_admin(self) -> bool:
        return ROLE_RANK.get(self.role, -1) >= ROLE_RANK["admin"]

    @rx.var
    def can_edit(self) -> bool:
        return ROLE_RANK.get(self.role, -1) >= ROLE_RANK["editor"]

    @rx.var
    def initials(self) -> str:
        parts = [p for p in self.user_name.split() if p]
        return "".join(p[0] for p in parts[:2]).upper() or "?"

    @rx.var
    def next_param(self) -> str:
        return safe_next(self.router.url.query_parameters.get("next"))

    # --- helpers for page states (not events) --------------------------------------------------------

    def _here(self) -> str:
        url = self.router.url
        return url.path + (f"?{url.query}" if url.query else "")

    def _forget(self) -> None:
        self.access_token = ""
        self.refresh_token = ""
        self.user_id = self.user_name = self.user_email = ""
        self.workspace_id = self.workspace_name = self.role = ""

    def to_signin(self) -> Any:
        """Forget the session and go to sign-in, coming back here afterwards."""
        here = self._here()
        self._forget()
        target = "/login" if safe_next(here) == "/" else f"/login?next={quote(here, safe='')}"
        return rx.redirect(target, replace=True)

    async def _refresh(self) -> bool:
        if not self.refresh_token:
            return False
        try:
            pair = await api.refresh(self.refresh_token)
        except api.ApiError as exc:
            if exc.status in {400, 401, 403, 422}:
                return False
            raise
        self.access_token, self.refresh_token = pair["access_token"], pair["refresh_token"]
        return True

    async def call(self, fn: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
        """Call `fn(access_token, *args)`; on a 401 refresh silently and retry once."""
        if not self.access_token and not await self._refresh():
            raise SessionExpired
        try:
            return await fn(self.access_token, *args, **kwargs)
        except api.ApiError as exc:
            if exc.status != 401:
                raise
        if not await self._refresh():
            raise SessionExpired
        try:
            return await fn(self.access_token, *args, **kwargs)
        except api.ApiError as exc:
            if exc.status == 401:
                raise SessionExpired from exc
            raise

    async def ensure_session(self) -> bool:
        """Load who is signed in (once per session); False when there is no valid session."""
        if not self.access_token and not self.refresh_token:
            return False
        try:
            me = await self.call(api.me)
        except SessionExpired:
            return False
        self._apply_me(me)
        return True

    async def _open_session(self, email: str, password: str) -> None:
        """Sign in with a password: keep the token pair and load who is signed in."""
        pair = await api.login(email, password)
        self.access_token, self.refresh_token = pair["access_token"], pair["refresh_token"]
        self._apply_me(await api.me(self.access_token))

    async def _load_signed_in(self, fetch: Fetch, on_error: Callable[[api.ApiError], None]) -> Any:
        """on_load of a signed-in page: the session, then `fetch`. Returns the sign-in redirect when there is no
        session (None otherwise); an API error goes to `on_error`."""
        try:
            if not await self.ensure_session():
                return self.to_signin()
            await fetch()
        except SessionExpired:
            return self.to_signin()
        except api.ApiError as exc:
            on_error(exc)
        return None

    def _apply_me(self, me: api.MeOut) -> None:
        self.user_id = str(me["user"]["id"])
        self.user_name = me["user"]["full_name"]
        self.user_email = me["user"]["email"]
        self.workspace_id = str(me["workspace"]["id"])
        self.workspace_name = me["workspace"]["name"]
        self.role = me["workspace"]["role"]

    # --- events -------------------------------------------------------------------------------------

    @rx.event
    async def require_session(self) -> Any:
        """on_load guard of every signed-in page."""
        if not await self.ensure_session():
            return self.to_signin()
        return None

    @rx.event
    async def redirect_if_signed_in(self) -> Any:
        """on_load of the sign-in and sign-up pages."""
        self.form_error = self.signup_sent_to = ""
        self.busy = False
        if (self.access_token or self.refresh_token) and await self.ensure_session():
            return rx.redirect(self.next_param, replace=True)
        return None

    @rx.event
    async def sign_in(self, form: dict[str, Any]) -> Any:
        email = str(form.get("email", "")).strip()
        password = str(form.get("password", ""))
        if not email or not password:
            self.form_error = "Enter your email and password."
            return
        self.busy, self.form_error = True, ""
        yield
        try:
            await self._open_session(email, password)
        except api.ApiError as exc:
            self.form_error = exc.detail
            return
        finally:
            self.busy = False
        yield rx.redirect(self.next_param, replace=True)

    @rx.event
    async def sign_up(self, form: dict[str, Any]) -> Any:
        email = str(form.get("email", "")).strip()
        password = str(form.get("password", ""))
        name = str(form.get("full_name", "")).strip()
        workspace = str(form.get("workspace_name", "")).strip() or None
        if not email or not password or not name:
            self.form_error = "Fill in your name, email and a password."
            return
        if len(password) < 8:
            self.form_error = "Choose a password of at least 8 characters."
            return
        self.busy, self.form_error = True, ""
        yield
        try:
            await api.register(email, password, name, workspace)
        except api.ApiError as exc:
            self.form_error = exc.detail
            return
        finally:
            self.busy = False
        self.signup_sent_to = email  # no account exists until the emailed link is opened

    @rx.event
    async def verify_email(self) -> Any:
        """on_load of /verify-email: confirm the sign-up with the link's token, sign in, go home."""
        self.form_error = ""
        token = self.router.url.query_parameters.get("token", "")
        if not token:
            self.form_error = "This confirmation link is incomplete: open the link from the email again."
            return None
        try:
            pair = await api.verify_email(token)
            self.access_token, self.refresh_token = pair["access_token"], pair["refresh_token"]
            self._apply_me(await api.me(self.access_token))
        except api.ApiError as exc:
            self.form_error = exc.detail
            return None
        return rx.redirect("/", replace=True)

    @rx.event
    async def sign_out(self) -> Any:
        if self.access_token:
            # Signing out locally is what matters: the tokens are forgotten either way.
            with contextlib.suppress(api.ApiError):
                await api.logout(self.access_token, self.refresh_token)
        self._forget()
        return rx.redirect("/login", replace=True)
