"""Sign in, sign up and accept an invitation."""

from __future__ import annotations

from typing import Any

import reflex as rx

from frontend import api
from frontend.components import callout, error_callout, labeled, link_button
from frontend.components.frame import auth_frame
from frontend.state import AuthState, event


def _submit(label: str, testid: str) -> rx.Component:
    return rx.button(
        rx.cond(AuthState.busy, rx.spinner(size="2"), rx.fragment()),
        label,
        type="submit",
        size="3",
        width="100%",
        # Disabled until the page is connected, so an early click never submits the form natively.
        disabled=AuthState.busy | ~AuthState.is_hydrated,
        data_testid=testid,
    )


def _field(label: str, name: str, **props: Any) -> rx.Component:
    """A labelled, full-width, large text input of the auth forms."""
    return labeled(label, rx.input(name=name, id=name, size="3", width="100%", **props), html_for=name)


def _email_field(auto_focus: bool = False) -> rx.Component:
    extra: dict[str, Any] = {"auto_focus": True} if auto_focus else {}
    return _field(
        "Email", "email", type="email", placeholder="you@example.com", auto_complete="username", required=True, **extra
    )


def _new_password_field(**props: Any) -> rx.Component:
    return _field("Password", "password", type="password", required=True, placeholder="At least 8 characters", **props)


def login_page() -> rx.Component:
    return auth_frame(
        rx.heading("Sign in", size="6"),
        rx.text("Welcome back. Sign in to your creator hub.", color_scheme="gray"),
        rx.cond(
            AuthState.next_param != "/",
            callout(
                "Please sign in to continue where you were.",
                icon="lock",
                color_scheme="blue",
                data_testid="signin-needed",
            ),
        ),
        error_callout(AuthState.form_error),
        rx.form(
            rx.vstack(
                _email_field(auto_focus=True),
                _field("Password", "password", type="password", required=True, auto_complete="current-password"),
                _submit("Sign in", "sign-in-submit"),
                spacing="3",
                width="100%",
            ),
            on_submit=AuthState.sign_in,
            width="100%",
        ),
        rx.text(
            "New here? ", rx.link("Create your workspace", href="/signup", underline="always"), size="2", align="center"
        ),
    )


def signup_page() -> rx.Component:
    return auth_frame(
        rx.heading("Create your workspace", size="6"),
        rx.text("Your knowledge, your voice, your coaching twin.", color_scheme="gray"),
        error_callout(AuthState.form_error),
        rx.cond(
            AuthState.signup_sent_to != "",
            rx.callout(
                rx.text(
                    "Check your inbox: we sent a link to ",
                    rx.text.strong(AuthState.signup_sent_to),
                    ". Open it to confirm your address and create your workspace.",
                ),
                icon="mail",
                color_scheme="green",
                width="100%",
                data_testid="signup-sent",
            ),
        ),
        rx.form(
            rx.vstack(
                _field("Your name", "full_name", placeholder="Marcus Aurelius", required=True, auto_focus=True),
                _email_field(),
                _new_password_field(auto_complete="new-password"),
                _field("Workspace name (optional)", "workspace_name", placeholder="Stoic Coaching"),
                _submit("Create workspace", "sign-up-submit"),
                spacing="3",
                width="100%",
            ),
            on_submit=AuthState.sign_up,
            width="100%",
        ),
        rx.text(
            "Already have an account? ", rx.link("Sign in", href="/login", underline="always"), size="2", align="center"
        ),
    )


def verify_page() -> rx.Component:
    return auth_frame(
        rx.heading("Confirming your email", size="6"),
        rx.cond(
            AuthState.form_error != "",
            rx.vstack(
                error_callout(AuthState.form_error),
                rx.text(
                    "Links work once and for a day. ",
                    rx.link("Sign up again", href="/signup"),
                    " or ",
                    rx.link("sign in", href="/login"),
                    ".",
                    size="2",
                ),
                width="100%",
            ),
            rx.hstack(rx.spinner(size="2"), rx.text("One moment…", color_scheme="gray"), align="center"),
        ),
    )


class InviteState(AuthState):
    invite_done: bool = False
    invite_error: str = ""

    @event
    def reset_invite(self) -> None:
        self.invite_done, self.invite_error = False, ""

    @event
    async def accept(self, form: dict[str, Any]) -> Any:
        token = self.router.url.query_parameters.get("token", "")
        if not token:
            self.invite_error = "This invitation link is incomplete. Ask for a new one."
            return None
        password = str(form.get("password", ""))
        if len(password) < 8:
            self.invite_error = "Choose a password of at least 8 characters."
            return None
        try:
            await api.auth.accept_invitation(token, password, str(form.get("full_name", "")).strip() or None)
        except api.ApiError as exc:
            self.invite_error = exc.detail
            return None
        self.invite_done, self.invite_error = True, ""
        return None


def accept_page() -> rx.Component:
    return auth_frame(
        rx.heading("Join the workspace", size="6"),
        rx.cond(
            InviteState.invite_done,
            rx.vstack(
                callout(
                    "You have joined. Sign in with your email and new password.",
                    icon="check",
                    color_scheme="green",
                    width="100%",
                ),
                link_button("Sign in", "/login", size="3", width="100%"),
                width="100%",
            ),
            rx.vstack(
                rx.text(
                    "You were invited to a CoachTwin workspace. Choose your password to join.", color_scheme="gray"
                ),
                error_callout(InviteState.invite_error),
                rx.form(
                    rx.vstack(
                        _field("Your name", "full_name"),
                        _new_password_field(),
                        rx.button(
                            "Join workspace", type="submit", size="3", width="100%", disabled=~InviteState.is_hydrated
                        ),
                        spacing="3",
                        width="100%",
                    ),
                    on_submit=InviteState.accept,
                    width="100%",
                ),
                width="100%",
                spacing="3",
            ),
        ),
    )
