"""Sign in, sign up and confirm the address (the forms and fields the other signed-out pages share)."""

from __future__ import annotations

from typing import Any

import reflex as rx

from frontend.components import callout, error_callout, labeled
from frontend.components.frame import auth_frame
from frontend.components.passwords import rules_list
from frontend.state import AuthState


def submit_button(label: str, testid: str) -> rx.Component:
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


def auth_form(on_submit: Any, *fields: rx.Component) -> rx.Component:
    """A signed-out page's form: its fields stacked, full width."""
    return rx.form(rx.vstack(*fields, spacing="3", width="100%"), on_submit=on_submit, width="100%")


def field(label: str, name: str, **props: Any) -> rx.Component:
    """A labelled, full-width, large text input of the auth forms."""
    return labeled(label, rx.input(name=name, id=name, size="3", width="100%", **props), html_for=name)


def email_field(auto_focus: bool = False) -> rx.Component:
    extra: dict[str, Any] = {"auto_focus": True} if auto_focus else {}
    return field(
        "Email", "email", type="email", placeholder="you@example.com", auto_complete="username", required=True, **extra
    )


def new_password_field(label: str = "Password", **props: Any) -> rx.Component:
    """A new password, with the rules under it ticked as they are met."""
    return rx.vstack(
        field(label, "password", type="password", required=True, auto_complete="new-password",
              on_change=AuthState.check_password, aria_describedby="password-rules", **props),
        rules_list(AuthState.password_rules),
        spacing="2",
        width="100%",
    )  # fmt: skip


def dev_mailbox_pointer() -> rx.Component:
    """In development no mail leaves the machine: point at where it was kept instead (shown only then)."""
    return rx.cond(
        AuthState.mail_captured,
        rx.text(
            "Development: mail is not sent but kept in the ",
            rx.link("dev mailbox", href=AuthState.mailbox_url, is_external=True, underline="always"),
            " (opens the API's list of captured mails, with their links).",
            size="2",
        ),
    )


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
        auth_form(
            AuthState.sign_in,
            email_field(auto_focus=True),
            field("Password", "password", type="password", required=True, auto_complete="current-password"),
            rx.link("Forgot password?", href="/forgot-password", size="2", underline="always"),
            submit_button("Sign in", "sign-in-submit"),
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
        rx.cond(AuthState.signup_sent_to != "", dev_mailbox_pointer()),
        auth_form(
            AuthState.sign_up,
            field("Your name", "full_name", placeholder="Marcus Aurelius", required=True, auto_focus=True),
            email_field(),
            new_password_field(),
            field("Workspace name (optional)", "workspace_name", placeholder="Stoic Coaching"),
            submit_button("Create workspace", "sign-up-submit"),
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
                    rx.link("Sign up again", href="/signup", underline="always"),
                    " or ",
                    rx.link("sign in", href="/login", underline="always"),
                    ".",
                    size="2",
                ),
                width="100%",
            ),
            rx.hstack(rx.spinner(size="2"), rx.text("One moment…", color_scheme="gray"), align="center"),
        ),
    )
