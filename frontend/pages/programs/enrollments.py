"""The builder's enrollments panel: add a member, enroll them in the published version, pause, resume,
unenroll, and where each member is in the program."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import reflex as rx
from reflex.vars import ObjectVar

from frontend import api
from frontend.api.contracts import EnrollmentOut
from frontend.api.programs import EnrollmentAction
from frontend.components import callout, error_callout, labeled, notice_callout, when
from frontend.pages.programs import editing
from frontend.pages.programs.builder_state import BuilderState
from frontend.state import AuthState, Redirect, event


def enrollment_where(e: EnrollmentOut, graph: editing.Graph) -> str:
    """Where a member is in the program, in one line: version, the step by its name in `graph`, what it waits
    for (the time of the next step is the row's `next`, shown in the viewer's time zone)."""
    at = editing.step_name(graph, e.current_node) if e.current_node else "-"
    parts = [f"v{e.version or '?'}", f"at {at}", f"{e.steps or 0} steps"]
    if e.waiting:
        parts.append(f"waiting for {e.waiting}")
    if e.error:
        parts.append(f"error: {e.error}")
    return " · ".join(parts)


class EnrollmentsState(AuthState):
    enrollments: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    members: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    enroll_member: str = ""
    enroll_error: str = ""
    enroll_notice: str = ""

    def _failed(self, exc: api.ApiError) -> None:
        self.enroll_error = exc.detail

    async def _fetch(self) -> None:
        names = await self._call(api.members.names)
        graph = (await self.get_state(BuilderState))._graph  # the steps' names as the canvas shows them
        self.members = [{"id": k, "label": v} for k, v in names.items()]
        self.enrollments = [
            {"id": str(e.id), "member": names.get(str(e.member_id), str(e.member_id)[:8]), "status": e.status,
             "where": enrollment_where(e, graph), "next": e.next_due_at or ""}
            for e in await self._call(api.programs.enrollments, self._route_param("program_id"))
        ]  # fmt: skip

    async def _run(self, work: Callable[[], Awaitable[Redirect]]) -> Redirect:
        self.enroll_error = self.enroll_notice = ""
        return await self._attempt(work, self._failed)

    @event
    async def open_tab(self, tab: str | list[str]) -> Redirect:
        """The builder's tabs changed: the enrollments are read when their tab opens."""
        opened = tab if isinstance(tab, str) else (tab[0] if tab else "")
        return await self._run(self._fetch) if opened == "enrollments" else None

    @event
    async def load(self) -> Redirect:
        return await self._run(self._fetch)

    @event
    def set_enroll_member(self, value: str) -> None:
        self.enroll_member = value

    @event
    async def add_member(self, form: dict[str, Any]) -> Redirect:
        """Add a member (by email or another id of theirs) and select them for enrolling."""
        external = str(form.get("external_id", "")).strip()
        if not external:
            self.enroll_error = "Give the member an email or another id."
            return None

        async def work() -> Redirect:
            name = str(form.get("display_name", "")).strip()
            tz = str(form.get("timezone", "")).strip() or "UTC"
            member = await self._call(api.members.upsert_member, external, name or external, tz)
            await self._fetch()
            self.enroll_member = str(member.id)
            return None

        return await self._run(work)

    @event
    async def enroll(self) -> Redirect:
        if not self.enroll_member:
            self.enroll_error = "Choose a member to enroll."
            return None

        async def work() -> Redirect:
            await self._call(api.programs.enroll, self._route_param("program_id"), self.enroll_member)
            await self._fetch()
            self.enroll_notice = "Enrolled. The first steps run now; waits continue on the member's clock."
            return None

        return await self._run(work)

    @event
    async def enrollment_action(self, enrollment_id: str, action: EnrollmentAction) -> Redirect:
        async def work() -> Redirect:
            await self._call(api.programs.enrollment_action, enrollment_id, action)
            await self._fetch()
            return None

        return await self._run(work)


S = EnrollmentsState
B = BuilderState


def action_button(label: str, e: ObjectVar[dict[str, str]], action: EnrollmentAction, **props: str) -> rx.Component:
    """One member's action, named with the member ("Pause Ana Lima"): several cards each have one."""
    return rx.button(label, size="1", variant="soft", on_click=S.enrollment_action(e["id"], action),
                     aria_label=f"{label} " + e["member"], data_testid=f"enrollment-{action}", **props)  # fmt: skip


def enrollment_card(e: ObjectVar[dict[str, str]]) -> rx.Component:
    status = e["status"]
    return rx.card(
        rx.vstack(
            rx.hstack(rx.text(e["member"], weight="medium", size="2"), rx.spacer(),
                      rx.badge(status, variant="soft", data_testid="enrollment-status",
                               color_scheme=rx.match(status, ("active", "green"), ("paused", "amber"),
                                                     ("completed", "blue"), "gray")),
                      width="100%", align="center"),
            rx.text(e["where"], rx.cond(e["next"] != "", rx.fragment(" · next ", when(e["next"]))), size="1",
                    color_scheme="gray"),
            rx.cond(
                B.can_edit,
                rx.hstack(
                    rx.cond(status == "active", action_button("Pause", e, "pause")),
                    rx.cond(status == "paused", action_button("Resume", e, "resume")),
                    rx.cond((status == "active") | (status == "paused"),
                            action_button("Unenroll", e, "unenroll", color_scheme="red")),
                    spacing="2",
                ),
            ),
            spacing="1",
            width="100%",
        ),
        width="100%",
        role="group",
        aria_label=e["member"],
        data_testid="enrollment",
    )  # fmt: skip


def enroll_form() -> rx.Component:
    return rx.vstack(
        rx.cond(
            B.published_version == 0,
            callout("Publish the program first: members enroll in a published version.", icon="info",
                       size="1", width="100%"),
        ),
        labeled(
            "Member to enroll",
            rx.select.root(
                rx.select.trigger(placeholder="Choose a member", id="enroll-member", width="100%"),
                rx.select.content(rx.foreach(S.members, lambda m: rx.select.item(m["label"], value=m["id"]))),
                value=S.enroll_member, on_change=S.set_enroll_member,
            ),
            html_for="enroll-member",
        ),
        rx.button("Enroll", on_click=S.enroll, disabled=B.published_version == 0, width="100%", data_testid="enroll"),
        rx.form(
            rx.vstack(
                rx.text("Add a member", size="2", weight="medium"),
                labeled("Email or id", rx.input(name="external_id", id="member-external", placeholder="ana@example.com",
                                                width="100%", data_testid="member-external"),
                        html_for="member-external"),
                labeled("Name", rx.input(name="display_name", id="member-name", placeholder="Ana Lima", width="100%",
                                         data_testid="member-name"), html_for="member-name"),
                labeled("Time zone", rx.input(name="timezone", id="member-timezone", placeholder="Europe/Rome",
                                              width="100%"), html_for="member-timezone"),
                rx.button("Add member", type="submit", size="2", variant="soft", width="100%",
                          data_testid="member-add"),
                spacing="2",
                width="100%",
            ),
            on_submit=S.add_member,
            reset_on_submit=True,
            width="100%",
        ),
        spacing="3",
        width="100%",
    )  # fmt: skip


def enrollments_panel() -> rx.Component:
    return rx.vstack(
        error_callout(S.enroll_error),
        notice_callout(S.enroll_notice),
        rx.cond(B.can_edit, enroll_form()),
        rx.hstack(rx.text("Enrollments", weight="medium", size="2"), rx.spacer(),
                  rx.icon_button(rx.icon("refresh-cw", size=14), size="1", variant="ghost",
                                 on_click=S.load, aria_label="Refresh"), width="100%"),
        rx.cond(S.enrollments.length() == 0,
                rx.text("Nobody is enrolled yet.", size="2", color_scheme="gray"),
                rx.foreach(S.enrollments, enrollment_card)),
        spacing="3",
        width="100%",
    )  # fmt: skip
