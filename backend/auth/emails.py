"""The account mails: confirm a sign-up, "you already have an account", reset a password, join a workspace.

Links point at the hub (PUBLIC_HUB_URL), which reads the token from the query and calls the API.
"""

from __future__ import annotations

from urllib.parse import urlencode

from backend.mail.message import Mail, render
from common.settings import Settings

FOOTER = "You received this because someone entered this address on CoachTwin. If it was not you, ignore it."


def hub_link(settings: Settings, path: str, **query: str) -> str:
    return f"{settings.public_hub_url}{path}" + (f"?{urlencode(query)}" if query else "")


def _hours(seconds: int) -> str:
    hours = max(round(seconds / 3600), 1)
    return f"{hours} hour{'s' if hours != 1 else ''}" if hours < 48 else f"{hours // 24} days"


def _link_mail(
    settings: Settings,
    to: str,
    name: str,
    token: str,
    *,
    subject: str,
    kind: str,
    why: str,
    ttl: int,
    action: tuple[str, str],
    footer: str,
    then: str = "",
) -> Mail:
    """A mail whose point is one one-time, expiring link to a hub page (`action`: its label and path)."""
    label, path = action
    return render(
        to=to,
        subject=subject,
        kind=kind,
        greeting=f"Hello {name},",
        lines=[why, f"The link works once and for {_hours(ttl)}." + (f" {then}" if then else "")],
        action=(label, hub_link(settings, path, token=token)),
        footer=footer,
    )  # fmt: skip


def confirm_signup(settings: Settings, to: str, name: str, token: str) -> Mail:
    return _link_mail(
        settings, to, name, token,
        subject="Confirm your email to finish signing up",
        kind="signup_confirm",
        why="Confirm this address to create your CoachTwin workspace.",
        ttl=settings.signup_token_ttl,
        action=("Confirm my email", "/verify-email"),
        footer=FOOTER,
    )  # fmt: skip


def account_exists(settings: Settings, to: str, name: str) -> Mail:
    return render(
        to=to,
        subject="You already have a CoachTwin account",
        kind="signup_existing",
        greeting=f"Hello {name},",
        lines=[
            "Someone (probably you) tried to sign up with this address, but it already has an account.",
            "Sign in instead. If you forgot your password, reset it: "
            + hub_link(settings, "/forgot-password", email=to),
        ],
        action=("Sign in", hub_link(settings, "/login")),
        footer=FOOTER,
    )


def password_reset(settings: Settings, to: str, name: str, token: str) -> Mail:
    return _link_mail(
        settings, to, name, token,
        subject="Reset your CoachTwin password",
        kind="password_reset",
        why="Someone (probably you) asked to reset the password of this account.",
        ttl=settings.reset_token_ttl,
        then="Setting a new password signs you out everywhere.",
        action=("Choose a new password", "/reset-password"),
        footer="If you did not ask for this, ignore this mail: your password stays as it is.",
    )  # fmt: skip


def password_changed(settings: Settings, to: str, name: str) -> Mail:
    return render(
        to=to,
        subject="Your CoachTwin password was changed",
        kind="password_changed",
        greeting=f"Hello {name},",
        lines=[
            "The password of your account was just changed and every session was signed out.",
            "If this was not you, reset your password now: " + hub_link(settings, "/forgot-password", email=to),
        ],
        footer=FOOTER,
    )


def invitation(settings: Settings, to: str, inviter: str, workspace: str, role: str, token: str) -> Mail:
    return render(
        to=to,
        subject=f"{inviter} invited you to {workspace} on CoachTwin",
        kind="invitation",
        greeting="Hello,",
        lines=[
            f"{inviter} invited you to join the workspace {workspace} as {role}.",
            f"The invitation works once and for {_hours(settings.invitation_ttl)}. If you already have an "
            "account with this address, sign in first and then open the link.",
        ],
        action=("Accept the invitation", hub_link(settings, "/accept-invitation", token=token)),
        footer="If you do not know this person, ignore this mail.",
    )
