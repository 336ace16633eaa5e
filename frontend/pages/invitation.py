"""An invitation link: which workspace and role it is for, then join it signed in, or with a new account.

A signed-in person joins with one click (when signed in as the invited address); someone whose address
already has an account signs in first and comes back here; a new address makes its account on this page."""

from __future__ import annotations

import contextlib
from typing import Any
from urllib.parse import quote

import reflex as rx

from frontend import api
from frontend.components import error_callout, link_button, passwords, role_badge, when
from frontend.components.frame import auth_frame
from frontend.pages.auth import auth_form, field, new_password_field, submit_button
from frontend.pages.team import ROLE_HELP
from frontend.state import AuthState, Redirect, event


class InviteState(AuthState):
    invite_loaded: bool = False
    invite_dead: bool = False  # unknown, used or expired: only a new invitation helps
    inv_email: str = ""
    inv_workspace: str = ""
    inv_role: str = ""
    inv_by: str = ""
    inv_expires: str = ""
    inv_account_exists: bool = False

    @rx.var
    def signed_in_as_invited(self) -> bool:
        return bool(self.user_id) and self.user_email.lower() == self.inv_email.lower()

    @rx.var
    def here(self) -> str:
        """This page's address, for sign-in to come back to."""
        url = self.router.url
        return quote(url.path + (f"?{url.query}" if url.query else ""), safe="")

    def _token(self) -> str:
        return self.router.url.query_parameters.get("token", "")

    @event
    async def open_invite(self) -> None:
        """on_load: who is signed in (if anyone), and what the invitation is for."""
        self.form_error = self.new_password = ""
        self.busy = self.invite_loaded = self.invite_dead = False
        if self.access_token or self.refresh_token:
            await self._ensure_session()
        if not self._token():
            self.form_error, self.invite_dead = (
                "This invitation link is incomplete: open it from the email again.",
                True,
            )
        else:
            try:
                preview = await api.auth.invitation_preview(self._token())
            except api.ApiError as exc:
                self.form_error, self.invite_dead = exc.detail, exc.status in {404, 410}
            else:
                self.inv_email, self.inv_workspace, self.inv_role = preview.email, preview.workspace_name, preview.role
                self.inv_by, self.inv_expires = preview.invited_by or "", preview.expires_at.isoformat()
                self.inv_account_exists = preview.account_exists
        self.invite_loaded = True

    async def _joined(self, pair: api.contracts.TokenPair) -> Redirect:
        self._keep(pair)
        self._apply_me(await api.auth.me(self.access_token))
        return rx.redirect("/", replace=True)

    @event
    async def accept_signed_in(self) -> Redirect:
        self.form_error = ""

        async def work() -> Redirect:
            return await self._joined(await self._call(api.auth.accept_invitation_signed_in, self._token()))

        return await self._attempt(work)

    @event
    async def accept_new(self, form: dict[str, Any]) -> Any:
        name = str(form.get("full_name", "")).strip()
        password, again = str(form.get("password", "")), str(form.get("password_again", ""))
        if not name:
            self.form_error = "Enter your name."
            return
        self.form_error = passwords.problem(password, again)
        if self.form_error:
            return
        self.busy, self.form_error = True, ""
        yield
        try:
            pair = await api.auth.accept_invitation(self._token(), password, name)
            yield await self._joined(pair)
        except api.ApiError as exc:
            self.form_error = exc.detail
        finally:
            self.busy = False

    @event
    async def switch_account(self) -> Redirect:
        """Signed in as someone else: sign out, then sign in as the invited address and come back."""
        target = f"/login?next={self.here}"
        if self.access_token:
            with contextlib.suppress(api.ApiError):  # signing out locally is what matters
                await api.auth.logout(self.access_token, self.refresh_token)
        self._forget()
        return rx.redirect(target)


def _what() -> rx.Component:
    return rx.vstack(
        rx.text(
            rx.cond(InviteState.inv_by != "", rx.text.strong(InviteState.inv_by), "Someone"),
            " invited ", rx.text.strong(InviteState.inv_email), " to join ",
            rx.text.strong(InviteState.inv_workspace), " as ", role_badge(InviteState.inv_role), ".",
        ),
        rx.text(rx.match(InviteState.inv_role, *ROLE_HELP.items(), ""), size="2", color_scheme="gray"),
        rx.text("The invitation works once, until ", when(InviteState.inv_expires), ".", size="2",
                color_scheme="gray"),
        spacing="2",
        width="100%",
    )  # fmt: skip


def _signed_in() -> rx.Component:
    return rx.cond(
        InviteState.signed_in_as_invited,
        rx.vstack(
            rx.text("You are signed in as ", rx.text.strong(InviteState.user_email), ".", size="2"),
            rx.button("Join " + InviteState.inv_workspace, on_click=InviteState.accept_signed_in, size="3",
                      width="100%", disabled=~InviteState.is_hydrated),
            width="100%",
            spacing="3",
        ),
        rx.vstack(
            rx.text("You are signed in as ", rx.text.strong(InviteState.user_email),
                    ", but this invitation is for ", rx.text.strong(InviteState.inv_email), ".", size="2"),
            rx.button("Sign out and sign in as " + InviteState.inv_email, on_click=InviteState.switch_account,
                      variant="soft", size="3", width="100%"),
            width="100%",
            spacing="3",
        ),
    )  # fmt: skip


def _existing_account() -> rx.Component:
    return rx.vstack(
        rx.text("This address already has an account: sign in with it, and you come back here to join.", size="2"),
        link_button("Sign in to accept", "/login?next=" + InviteState.here, size="3", width="100%"),
        rx.text(rx.link("Forgot your password?", href="/forgot-password?email=" + InviteState.inv_email,
                        underline="always"), size="2"),
        width="100%",
        spacing="3",
    )  # fmt: skip


def _new_account() -> rx.Component:
    return auth_form(
        InviteState.accept_new,
        rx.text("Create your account to join. Your email is ", rx.text.strong(InviteState.inv_email), ".",
                size="2"),
        field("Your name", "full_name", required=True, auto_complete="name"),
        new_password_field("Choose a password"),
        field("Password again", "password_again", type="password", required=True, auto_complete="new-password"),
        submit_button("Create account and join", "invite-submit"),
    )  # fmt: skip


def invitation_page() -> rx.Component:
    live = rx.vstack(
        _what(),
        rx.cond(
            InviteState.signed_in,
            _signed_in(),
            rx.cond(InviteState.inv_account_exists, _existing_account(), _new_account()),
        ),
        width="100%",
        spacing="4",
    )
    dead = rx.vstack(
        rx.text("Invitations work once, for 7 days. Ask the person who invited you to send a new one.", size="2"),
        link_button("Go to sign in", "/login", size="3", width="100%", variant="soft"),
        width="100%",
        spacing="3",
    )
    return auth_frame(
        rx.heading("Join a workspace", size="6"),
        error_callout(InviteState.form_error),
        rx.cond(
            InviteState.invite_loaded,
            rx.cond(InviteState.invite_dead, dead, rx.cond(InviteState.inv_email != "", live)),
            rx.hstack(rx.spinner(size="2"), rx.text("One moment…", color_scheme="gray"), align="center",
                      data_testid="loading"),
        ),
    )  # fmt: skip
