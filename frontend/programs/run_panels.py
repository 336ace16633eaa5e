"""The builder's simulate and enrollments panels."""

from __future__ import annotations

import reflex as rx

from frontend.programs.state import BuilderState

S = BuilderState


def answer_input(t: rx.Var) -> rx.Component:
    return rx.vstack(
        rx.text(t["label"], size="1", weight="medium"),
        rx.input(
            value=S.sim_answers[t["id"]].to(str),
            on_change=lambda v: S.set_answer(t["id"].to(str), v),
            placeholder="answer (4, yes, text); 4; 5; 2 for one per visit; empty: no answer",
            width="100%",
            data_testid="sim-answer",
        ),
        spacing="1",
        width="100%",
    )


def transcript_line(line: rx.Var) -> rx.Component:
    return rx.box(
        rx.text(line["at"], " · ", line["role"], rx.cond(line["node"] != "", " · " + line["node"].to(str), ""),
                size="1", color_scheme="gray"),
        rx.text(line["text"], size="2", white_space="pre-wrap"),
        bg=rx.match(line["role"], ("member", rx.color("accent", 3)), ("assistant", rx.color("gray", 3)), "transparent"),
        padding="6px 8px",
        border_radius="8px",
        width="100%",
        data_testid="transcript-line",
    )  # fmt: skip


def simulate_panel() -> rx.Component:
    return rx.vstack(
        rx.text("Run the draft for a test member on a fast-forward clock. Scripted answers are given when a "
                "check-in asks; the path taken lights up on the canvas.", size="2", color_scheme="gray"),
        rx.foreach(S.sim_targets, answer_input),
        rx.hstack(
            rx.vstack(rx.text("Member time zone", size="1", weight="medium"),
                      rx.input(value=S.sim_timezone, on_change=S.set_sim_timezone, width="100%",
                               data_testid="sim-timezone"), spacing="1", width="100%"),
            rx.vstack(rx.text("Start (UTC, optional)", size="1", weight="medium"),
                      rx.input(type="datetime-local", value=S.sim_start, on_change=S.set_sim_start, width="100%"),
                      spacing="1", width="100%"),
            width="100%",
        ),
        rx.button(rx.icon("play", size=14), "Run simulation", on_click=S.simulate, loading=S.sim_running,
                  width="100%", data_testid="simulate-run"),
        rx.cond(
            S.sim_status != "",
            rx.vstack(
                rx.hstack(
                    rx.badge(S.sim_status, color_scheme=rx.match(S.sim_status, ("completed", "green"), ("error", "red"),
                                                                 "amber"), data_testid="sim-status"),
                    rx.text(S.sim_path.length(), " steps", size="1", color_scheme="gray"),  # type: ignore[attr-defined]
                    align="center",
                ),
                rx.cond(S.sim_detail != "", rx.text(S.sim_detail, size="1", color_scheme="gray")),
                rx.cond(S.sim_goals.length() > 0,  # type: ignore[attr-defined]
                        rx.text("Milestones: ", rx.foreach(S.sim_goals, lambda g: rx.badge(g, margin_right="4px")),
                                size="1")),
                rx.foreach(S.sim_transcript, transcript_line),
                spacing="2",
                width="100%",
                data_testid="transcript",
            ),
        ),
        spacing="3",
        width="100%",
    )  # fmt: skip


def action_button(label: str, enrollment_id: rx.Var, action: str, **props: str) -> rx.Component:
    return rx.button(label, size="1", variant="soft", on_click=S.enrollment_action(enrollment_id, action),
                     data_testid=f"enrollment-{action}", **props)  # fmt: skip


def enrollment_card(e: rx.Var) -> rx.Component:
    status = e["status"]
    return rx.card(
        rx.vstack(
            rx.hstack(rx.text(e["member"], weight="medium", size="2"), rx.spacer(),
                      rx.badge(status, variant="soft", data_testid="enrollment-status",
                               color_scheme=rx.match(status, ("active", "green"), ("paused", "amber"),
                                                     ("completed", "blue"), "gray")),
                      width="100%", align="center"),
            rx.text(e["where"], size="1", color_scheme="gray"),
            rx.cond(
                S.can_edit,
                rx.hstack(
                    rx.cond(status == "active", action_button("Pause", e["id"], "pause")),
                    rx.cond(status == "paused", action_button("Resume", e["id"], "resume")),
                    rx.cond((status == "active") | (status == "paused"),
                            action_button("Unenroll", e["id"], "unenroll", color_scheme="red")),
                    spacing="2",
                ),
            ),
            spacing="1",
            width="100%",
        ),
        width="100%",
        data_testid="enrollment",
    )  # fmt: skip


def enroll_form() -> rx.Component:
    return rx.vstack(
        rx.cond(
            S.published_version == 0,
            rx.callout("Publish the program first: members enroll in a published version.", icon="info",
                       size="1", width="100%"),
        ),
        rx.hstack(
            rx.select.root(
                rx.select.trigger(placeholder="Choose a member", width="100%"),
                rx.select.content(rx.foreach(S.members, lambda m: rx.select.item(m["label"], value=m["id"]))),
                value=S.enroll_member, on_change=S.set_enroll_member,
            ),
            rx.button("Enroll", on_click=S.enroll, disabled=S.published_version == 0, data_testid="enroll"),
            width="100%",
        ),
        rx.form(
            rx.vstack(
                rx.text("Add a member", size="1", weight="medium"),
                rx.input(name="external_id", placeholder="email or id", width="100%", data_testid="member-external"),
                rx.hstack(rx.input(name="display_name", placeholder="name", width="100%", data_testid="member-name"),
                          rx.input(name="timezone", placeholder="time zone, e.g. Europe/Rome", width="100%"),
                          width="100%"),
                rx.button("Add", type="submit", size="1", variant="soft", data_testid="member-add"),
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
        rx.cond(S.can_edit, enroll_form()),
        rx.hstack(rx.text("Enrollments", weight="medium", size="2"), rx.spacer(),
                  rx.icon_button(rx.icon("refresh-cw", size=14), size="1", variant="ghost",
                                 on_click=S.load_enrollments, aria_label="Refresh"), width="100%"),
        rx.cond(S.enrollments.length() == 0,  # type: ignore[attr-defined]
                rx.text("Nobody is enrolled yet.", size="2", color_scheme="gray"),
                rx.foreach(S.enrollments, enrollment_card)),
        spacing="3",
        width="100%",
    )  # fmt: skip
