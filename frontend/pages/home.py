"""Home: a getting-started checklist that ticks itself from what the API says about the workspace."""

from __future__ import annotations

from typing import Any

import reflex as rx

from frontend import api
from frontend.components import card, error_callout, link_button, loading, section_title
from frontend.components.frame import layout
from frontend.pages.landing import landing_page
from frontend.state import AuthState, PageState, Redirect, event


class HomeState(PageState, AuthState):
    docs_total: int = 0
    docs_ready: int = 0
    persona_approved: bool = False
    playground_used: bool = False
    colleague_invited: bool = False
    team_size: int = 1
    visitor: bool = False  # nobody is signed in: `/` is the public landing page

    @rx.var
    def steps_done(self) -> int:
        return sum([self.docs_ready > 0, self.persona_approved, self.playground_used, self.colleague_invited])

    @rx.var
    def progress_pct(self) -> int:
        return self.steps_done * 25

    async def _fetch(self) -> None:
        docs = await self._call(api.knowledge.documents)
        self.docs_total = len(docs)
        self.docs_ready = sum(1 for d in docs if d.status == "ready")
        self.persona_approved = (await self._call(api.twin.persona)).approved_version is not None
        self.playground_used = bool(await self._call(api.twin.conversations, None, "playground"))
        members = await self._call(api.team.members)
        self.team_size = len(members)
        invited = await self._call(api.team.invitations) if self.is_admin else []
        self.colleague_invited = len(members) > 1 or len(invited) > 0

    @event
    async def load(self) -> Redirect:
        """Signed in: the checklist. Signed out (or the session is gone): the landing page, no redirect."""
        self.error = ""
        self.visitor = not await self._ensure_session()
        if self.visitor:
            return None
        redirect = await self._attempt(self._fetch)
        self.loaded = redirect is None
        return redirect


def step(
    done: Any, title: str, text: str, href: str, cta: str, testid: str, allowed: Any = True, who: str = "an editor"
) -> rx.Component:
    """One checklist step: its state for people and tests, what it is, and one link to do it (if your role may)."""
    return rx.hstack(
        rx.cond(
            done,
            rx.icon("circle-check", color=rx.color("green", 10), size=26, aria_label="Done", role="img"),
            rx.icon("circle", color=rx.color("gray", 9), size=26, aria_label="To do", role="img"),
        ),
        rx.vstack(
            rx.text(title, weight="bold", size="3", text_decoration=rx.cond(done, "line-through", "none")),
            rx.text(text, color=rx.color("gray", 11), size="2"),
            spacing="1",
            align="start",
            flex="1",
        ),
        rx.cond(
            done,
            rx.badge("Done", color_scheme="green"),
            rx.cond(
                allowed,
                link_button(cta, href, variant="soft", size="2"),
                rx.text(f"Done by {who}", size="1", color=rx.color("gray", 11)),
            ),
        ),
        align="center",
        spacing="4",
        width="100%",
        padding_y="12px",
        border_bottom=f"1px solid {rx.color('gray', 4)}",
        data_testid=testid,
        data_done=rx.cond(done, "true", "false"),
    )


NEXT_STEPS = [
    ("route", "Build a program", "Turn a method into a journey: daily messages, check-ins and milestones.", "/programs",
     "Open programs"),
    ("messages-square", "Look at the conversations", "What members ask, how the twin answers, and which replies sound "
     "least like you.", "/conversations", "Read conversations"),
    ("sparkles", "Keep your twin sharp", "Ask it hard questions in the playground; refine the persona when a reply "
     "sounds off.", "/persona", "Open the playground"),
]  # fmt: skip
"""What Home suggests once the checklist is done (pages that add a next step append theirs here)."""


def next_step(icon: str, title: str, text: str, href: str, cta: str) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.icon(icon, size=20, color=rx.color("accent", 11), aria_hidden="true"),
            rx.heading(title, size="3", as_="h3"),
            rx.text(text, size="2", color=rx.color("gray", 11)),
            link_button(cta, href, size="2", variant="soft"),
            spacing="2",
            align="start",
            height="100%",
        ),
        size="2",
    )


def next_steps() -> rx.Component:
    return card(
        section_title("What next", "compass"),
        rx.text("Your twin is set up. From here:", size="2", color=rx.color("gray", 11)),
        rx.grid(*[next_step(*s) for s in NEXT_STEPS], columns=rx.breakpoints(initial="1", md="3"), spacing="3",
                width="100%"),
        data_testid="next-steps",
    )  # fmt: skip


def home_page() -> rx.Component:
    return rx.cond(HomeState.visitor, landing_page(), signed_in_home())


def signed_in_home() -> rx.Component:
    return layout(
        error_callout(HomeState.error),
        rx.cond(
            HomeState.loaded,
            card(
                rx.hstack(
                    section_title("Getting started", "rocket"),
                    rx.spacer(),
                    rx.text(
                        HomeState.steps_done, " of 4 done", color_scheme="gray", size="2", data_testid="checklist-count"
                    ),
                    width="100%",
                    align="center",
                ),
                rx.progress(value=HomeState.progress_pct, width="100%", aria_label="Getting started progress"),
                rx.vstack(
                    step(
                        HomeState.docs_ready > 0,
                        "Upload your knowledge",
                        "Books, notes, transcripts: your twin answers from them, with citations.",
                        "/knowledge",
                        "Upload",
                        "step-knowledge",
                        HomeState.can_edit,
                    ),
                    step(
                        HomeState.persona_approved,
                        "Review and approve your persona",
                        "How your twin speaks: voice, signature phrases, principles.",
                        "/persona",
                        "Review",
                        "step-persona",
                        HomeState.can_edit,
                    ),
                    step(
                        HomeState.playground_used,
                        "Try the playground",
                        "Ask your twin a question and check its cited answer.",
                        "/persona",
                        "Open playground",
                        "step-playground",
                    ),
                    step(
                        HomeState.colleague_invited,
                        "Invite a colleague",
                        "Bring in an editor or an assistant with the right role.",
                        "/team",
                        "Invite",
                        "step-team",
                        HomeState.is_admin,
                        "an admin",
                    ),
                    width="100%",
                    spacing="0",
                ),
                data_testid="checklist",
            ),
            loading(),
        ),
        rx.cond(HomeState.loaded & (HomeState.steps_done == 4), next_steps()),
        rx.grid(
            card(
                rx.text("Documents", color_scheme="gray", size="2"),
                rx.text(HomeState.docs_ready, " / ", HomeState.docs_total, size="7", weight="bold"),
                rx.text("ready / uploaded", size="1", color_scheme="gray"),
            ),
            card(
                rx.text("Team", color_scheme="gray", size="2"),
                rx.text(HomeState.team_size, size="7", weight="bold"),
                rx.text("people in this workspace", size="1", color_scheme="gray"),
            ),
            card(
                rx.text("Your role", color_scheme="gray", size="2"),
                rx.text(HomeState.role, size="7", weight="bold"),
                rx.text(HomeState.workspace_name, size="1", color_scheme="gray"),
            ),
            columns=rx.breakpoints(initial="1", sm="3"),
            spacing="4",
            width="100%",
        ),
        title="Home",
        subtitle="Welcome to your creator hub.",
    )
