"""Forgot password: ask for a link (the same answer for any address), then choose a new password with it."""

from __future__ import annotations

from typing import Any

import reflex as rx

from frontend import api
from frontend.components import callout, error_callout, link_button, passwords
from frontend.components.frame import auth_frame
from frontend.pages.auth import auth_form, dev_mailbox_pointer, field, new_password_field, submit_button
from frontend.state import AuthState, event

DEAD_LINK = {404, 410}  # a link we never issued, or one used or expired: only a new one helps


class PasswordState(AuthState):
    reset_sent_to: str = ""  # the neutral answer was given for this address
    prefill_email: str = ""  # from the "reset it" link of an account mail
    reset_done: bool = False
    link_dead: bool = False

    @event
    async def open_forgot(self) -> None:
        """on_load of /forgot-password."""
        self.form_error = self.reset_sent_to = ""
        self.busy = self.mail_captured = False
        self.prefill_email = self.router.url.query_parameters.get("email", "")

    @event
    async def ask_link(self, form: dict[str, Any]) -> Any:
        email = str(form.get("email", "")).strip()
        if not email:
            self.form_error = "Enter the email you sign in with."
            return
        self.busy, self.form_error = True, ""
        yield
        try:
            await api.auth.password_reset(email)
        except api.ApiError as exc:
            self.form_error = exc.detail
            return
        finally:
            self.busy = False
        self.reset_sent_to = email
        await self._point_at_mailbox(email)

    @event
    def open_reset(self) -> None:
        """on_load of /reset-password: a link without its token cannot work, say so before the form."""
        self.form_error = self.new_password = ""
        self.busy = self.reset_done = self.link_dead = False
        if not self.router.url.query_parameters.get("token", ""):
            self.form_error = "This link is incomplete: open the link from the email again, or ask for a new one."
            self.link_dead = True

    @event
    async def set_password(self, form: dict[str, Any]) -> Any:
        token = self.router.url.query_parameters.get("token", "")
        password, again = str(form.get("password", "")), str(form.get("password_again", ""))
        self.form_error = passwords.problem(password, again)
        if self.form_error:
            return
        self.busy, self.form_error = True, ""
        yield
        try:
            await api.auth.password_reset_confirm(token, password)
        except api.ApiError as exc:
            # A refused password leaves the link working; a dead link needs a new one.
            self.form_error, self.link_dead = exc.detail, exc.status in DEAD_LINK
            return
        finally:
            self.busy = False
        self.reset_done, self.new_password = True, ""


def _back_to_sign_in() -> rx.Component:
    return rx.text("Remembered it? ", rx.link("Sign in", href="/login", underline="always"), size="2", align="center")


def forgot_page() -> rx.Component:
    sent = rx.vstack(
        callout(
            rx.text(
                "If an account uses ",
                rx.text.strong(PasswordState.reset_sent_to),
                ", a link to choose a new password is on its way. It works once, for an hour.",
            ),
            icon="mail",
            color_scheme="green",
            width="100%",
            role="status",
        ),
        rx.text("Nothing after a few minutes? Check your spam folder, or ask again.", size="2", color_scheme="gray"),
        dev_mailbox_pointer(),
        width="100%",
        spacing="3",
    )
    form = auth_form(
        PasswordState.ask_link,
        field("Email", "email", type="email", placeholder="you@example.com", auto_complete="username",
              required=True, auto_focus=True, default_value=PasswordState.prefill_email),
        submit_button("Email me a link", "forgot-submit"),
    )  # fmt: skip
    return auth_frame(
        rx.heading("Forgot your password?", size="6"),
        rx.text("Enter the email you sign in with and we will send a link to choose a new one.", color_scheme="gray"),
        error_callout(PasswordState.form_error),
        rx.cond(PasswordState.reset_sent_to != "", sent, form),
        _back_to_sign_in(),
    )


def reset_page() -> rx.Component:
    done = rx.vstack(
        callout(
            "Your password was changed, and every session of your account was signed out. Sign in with it now.",
            icon="check",
            color_scheme="green",
            width="100%",
            role="status",
        ),
        link_button("Sign in", "/login", size="3", width="100%"),
        width="100%",
        spacing="3",
    )
    dead = rx.vstack(
        rx.text("Reset links work once, for an hour.", size="2"),
        link_button("Ask for a new link", "/forgot-password", size="3", width="100%"),
        width="100%",
        spacing="3",
    )
    form = auth_form(
        PasswordState.set_password,
        new_password_field("New password"),
        field("New password again", "password_again", type="password", required=True,
              auto_complete="new-password"),
        submit_button("Set new password", "reset-submit"),
    )  # fmt: skip
    return auth_frame(
        rx.heading("Choose a new password", size="6"),
        error_callout(PasswordState.form_error),
        rx.cond(
            PasswordState.reset_done,
            done,
            rx.fragment(rx.cond(PasswordState.link_dead, dead, form), _back_to_sign_in()),
        ),
    )
