"""Auth state and the one way page states talk to the API.

`AuthState` keeps the tokens in the browser, knows who is signed in, refreshes silently and sends people to
sign in (and back) when the session is gone. Every page state is `class XState(PageState, AuthState)` and
- calls the API through `self._call(api.<feature>.<fn>, ...)`: the access token is added, a 401 refreshes the
  token once (refresh tokens rotate: each works once) and retries; a session that cannot be renewed raises
  `SessionExpired`;
- wraps the work of an event in `await self._attempt(work)`, which returns the sign-in redirect when the
  session is gone (the event returns it) and shows an `ApiError` as the page's `error` (or passes it to the
  `on_error` given). `await self._load_page(fetch)` does the same for an `on_load`, checking the session first.
So no page catches `SessionExpired` itself. Helpers start with `_`: Reflex makes every public method of a
state an event the browser may send.

Event handlers are declared with `@event` from here: Reflex's `rx.event`, typed so mypy checks the calls.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar, overload
from urllib.parse import quote, unquote, urlencode

import reflex as rx
from reflex.event import EventSpec

from common.enums import Role
from frontend import api
from frontend.api.contracts import MeOut, TokenPair
from frontend.components.passwords import MIN_LENGTH, checks

if TYPE_CHECKING:
    from typing import TypeVarTuple, Unpack

    from reflex.event import EventCallback

    Ts = TypeVarTuple("Ts")

    @overload
    def event(fn: Callable[[Any, Unpack[Ts]], Any], /) -> EventCallback[*Ts]: ...

    @overload
    def event(*, background: bool = ...) -> Callable[[Callable[[Any, Unpack[Ts]], Any]], EventCallback[*Ts]]: ...

    def event(*args: Any, **kwargs: Any) -> Any: ...

else:
    event = rx.event

T = TypeVar("T")
P = ParamSpec("P")
Redirect = EventSpec | None
"""What an event returns after API work: the sign-in redirect when the session is gone, else nothing."""


class SessionExpired(Exception):
    """No valid session: the page should send the user to sign in."""


def safe_next(target: str | None) -> str:
    """Only same-site paths are followed after sign-in (no open redirects)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    if target.startswith(("/login", "/signup", "/logout")):
        return "/"
    return target


def _role(value: str) -> Role | None:
    try:
        return Role(value)
    except ValueError:
        return None


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
    new_password: str = ""  # as typed into a new-password field, to tick the rules under it
    mail_captured: bool = False  # dev with no SMTP server: mails land in the API's dev mailbox
    mailbox_url: str = ""  # that mailbox, filtered to the address just mailed

    # --- derived ------------------------------------------------------------------------------------

    @rx.var
    def signed_in(self) -> bool:
        return bool(self.user_id)

    @rx.var
    def is_admin(self) -> bool:
        role = _role(self.role)
        return role is not None and role.at_least(Role.admin)

    @rx.var
    def can_edit(self) -> bool:
        role = _role(self.role)
        return role is not None and role.at_least(Role.editor)

    @rx.var
    def initials(self) -> str:
        parts = [p for p in self.user_name.split() if p]
        return "".join(p[0] for p in parts[:2]).upper() or "?"

    @rx.var
    def password_rules(self) -> list[dict[str, Any]]:
        return checks(self.new_password)

    @rx.var
    def next_param(self) -> str:
        return safe_next(self.router.url.query_parameters.get("next"))

    # --- the API, for page states (helpers, not events) ---------------------------------------------

    def _route_param(self, name: str) -> str:
        """A dynamic part of the page's route (`/knowledge/[doc_id]` -> `_route_param("doc_id")`), read from the
        address against the route's pattern."""
        pattern = self.router.route_id.strip("/").split("/")
        parts = self.router.url.path.strip("/").split("/")
        return next((unquote(part) for key, part in zip(pattern, parts, strict=False) if key == f"[{name}]"), "")

    def _show_error(self, exc: api.ApiError) -> None:
        """Where an API error is shown: `PageState` sends it to the page's `error`."""
        self.form_error = exc.detail

    async def _call(self, fn: Callable[Concatenate[str, P], Awaitable[T]], *args: P.args, **kwargs: P.kwargs) -> T:
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

    async def _attempt(
        self, work: Callable[[], Awaitable[Redirect]], on_error: Callable[[api.ApiError], None] | None = None
    ) -> Redirect:
        """Run the API work of an event. Returns the sign-in redirect when the session is gone (or what `work`
        returns); an API error goes to `on_error`, by default the page's `_show_error`."""
        try:
            return await work()
        except SessionExpired:
            return self._to_signin()
        except api.ApiError as exc:
            (on_error or self._show_error)(exc)
        return None

    async def _load_page(
        self, fetch: Callable[[], Awaitable[None]], on_error: Callable[[api.ApiError], None] | None = None
    ) -> Redirect:
        """The `on_load` of a signed-in page: the session (loaded once), then `fetch`, as `_attempt` does."""

        async def work() -> Redirect:
            if not await self._ensure_session():
                raise SessionExpired
            await fetch()
            return None

        return await self._attempt(work, on_error)

    def _to_signin(self) -> EventSpec:
        """Forget the session and go to sign-in, coming back here afterwards."""
        url = self.router.url
        here = url.path + (f"?{url.query}" if url.query else "")
        self._forget()
        target = "/login" if safe_next(here) == "/" else f"/login?next={quote(here, safe='')}"
        return rx.redirect(target, replace=True)

    async def _ensure_session(self) -> bool:
        """Load who is signed in; False when there is no valid session."""
        if not self.access_token and not self.refresh_token:
            return False
        try:
            me = await self._call(api.auth.me)
        except SessionExpired:
            return False
        self._apply_me(me)
        return True

    # --- internals ----------------------------------------------------------------------------------

    async def _point_at_mailbox(self, to: str) -> None:
        """After mailing `to`: in dev (mail captured, not sent) show where the mail can be read."""
        self.mail_captured = await api.dev.captured()
        query = urlencode({"to": to})
        self.mailbox_url = f"{api.base_url()}/api/v1/dev/mailbox?{query}" if self.mail_captured else ""

    def _forget(self) -> None:
        self.access_token = ""
        self.refresh_token = ""
        self.user_id = self.user_name = self.user_email = ""
        self.workspace_id = self.workspace_name = self.role = ""

    def _keep(self, pair: TokenPair) -> None:
        self.access_token, self.refresh_token = pair.access_token, pair.refresh_token

    async def _refresh(self) -> bool:
        if not self.refresh_token:
            return False
        try:
            pair = await api.auth.refresh(self.refresh_token)
        except api.ApiError as exc:
            if exc.status in {400, 401, 403, 422}:
                return False
            raise
        self._keep(pair)
        return True

    async def _open_session(self, email: str, password: str) -> None:
        """Sign in with a password: keep the token pair and load who is signed in."""
        self._keep(await api.auth.login(email, password))
        self._apply_me(await api.auth.me(self.access_token))

    def _apply_me(self, me: MeOut) -> None:
        self.user_id = str(me.user.id)
        self.user_name = me.user.full_name
        self.user_email = me.user.email
        self.workspace_id = str(me.workspace.id)
        self.workspace_name = me.workspace.name
        self.role = me.workspace.role

    # --- events -------------------------------------------------------------------------------------

    @event
    async def require_session(self) -> Redirect:
        """on_load guard of a signed-in page without data of its own."""
        if not await self._ensure_session():
            return self._to_signin()
        return None

    @event
    async def redirect_if_signed_in(self) -> Redirect:
        """on_load of the sign-in and sign-up pages."""
        self.form_error = self.signup_sent_to = self.new_password = ""
        self.busy = self.mail_captured = False
        if (self.access_token or self.refresh_token) and await self._ensure_session():
            return rx.redirect(self.next_param, replace=True)
        return None

    @event
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

    @event
    async def sign_up(self, form: dict[str, Any]) -> Any:
        email = str(form.get("email", "")).strip()
        password = str(form.get("password", ""))
        name = str(form.get("full_name", "")).strip()
        workspace = str(form.get("workspace_name", "")).strip() or None
        if not email or not password or not name:
            self.form_error = "Fill in your name, email and a password."
            return
        if len(password) < MIN_LENGTH:
            self.form_error = f"Choose a password of at least {MIN_LENGTH} characters."
            return
        self.busy, self.form_error = True, ""
        yield
        try:
            await api.auth.register(email, password, name, workspace)
        except api.ApiError as exc:
            self.form_error = exc.detail
            return
        finally:
            self.busy = False
        self.signup_sent_to = email  # no account exists until the emailed link is opened
        await self._point_at_mailbox(email)

    @event
    def check_password(self, value: str) -> None:
        self.new_password = value

    @event
    async def verify_email(self) -> Redirect:
        """on_load of /verify-email: confirm the sign-up with the link's token, sign in, go home."""
        self.form_error = ""
        token = self.router.url.query_parameters.get("token", "")
        if not token:
            self.form_error = "This confirmation link is incomplete: open the link from the email again."
            return None
        try:
            session = await api.auth.verify_email(token)
            self.access_token, self.refresh_token = session.access_token, session.refresh_token
            self._apply_me(await api.auth.me(self.access_token))
        except api.ApiError as exc:
            self.form_error = exc.detail
            return None
        return rx.redirect("/", replace=True)

    @event
    async def sign_out(self) -> EventSpec:
        if self.access_token:
            # Signing out locally is what matters: the tokens are forgotten either way.
            with contextlib.suppress(api.ApiError):
                await api.auth.logout(self.access_token, self.refresh_token)
        self._forget()
        return rx.redirect("/login", replace=True)


class PageState(rx.State, mixin=True):
    """What every signed-in page shows around its content: whether it has loaded, an error, a confirmation.

    A mixin, so each page keeps its own copies: `class KnowledgeState(PageState, AuthState)`."""

    loaded: bool = False
    error: str = ""
    notice: str = ""

    def _show_error(self, exc: api.ApiError) -> None:
        self.error = exc.detail

    def _clear_messages(self) -> None:
        self.error = self.notice = ""
