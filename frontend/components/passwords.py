"""The password rules as people read them, checked as they type (the API's policy, backend/lib/security.py,
has the last word: it also refuses well-known passwords and the email itself)."""

from __future__ import annotations

from typing import Any

import reflex as rx

MIN_LENGTH = 10
RULES = (
    "At least 10 characters",
    "Two kinds of characters: lower case, upper case, digits or symbols",
    "Not your email and not a well-known password",
)


def checks(password: str) -> list[dict[str, Any]]:
    """Each rule with whether the password meets it (the last one only the API can tell: met once typed)."""
    kinds = sum(
        [
            any(c.islower() for c in password),
            any(c.isupper() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        ]
    )
    met = (len(password) >= MIN_LENGTH, kinds >= 2, bool(password))
    return [{"text": text, "met": ok} for text, ok in zip(RULES, met, strict=True)]


def problem(password: str, again: str) -> str:
    """What is wrong with a new password typed twice, before asking the API ("" when nothing is)."""
    if len(password) < MIN_LENGTH:
        return f"Choose a password of at least {MIN_LENGTH} characters."
    if password != again:
        return "The two passwords differ: type the same password twice."
    return ""


def _rule(rule: Any) -> rx.Component:
    return rx.el.li(
        rx.hstack(
            rx.cond(
                rule["met"],
                rx.icon("circle-check", size=16, color=rx.color("grass", 11), aria_hidden="true"),
                rx.icon("circle", size=16, color=rx.color("gray", 10), aria_hidden="true"),
            ),
            rx.text(rule["text"], size="2"),
            # Said, not only shown: the icon is decoration.
            rx.el.span(rx.cond(rule["met"], " (met)", " (not yet)"), class_name="rt-sr-only",
                       position="absolute", width="1px", height="1px", overflow="hidden", clip="rect(0 0 0 0)"),
            spacing="2",
            align="center",
        ),
        list_style="none",
    )  # fmt: skip


def rules_list(rules: Any, id: str = "password-rules") -> rx.Component:
    """The rules under a new-password field (point the field at it with `aria_describedby=id`)."""
    return rx.el.ul(rx.foreach(rules, _rule), id=id, padding="0", margin="0", aria_label="Password rules")
