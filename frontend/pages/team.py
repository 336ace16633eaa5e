"""Team: members and their roles, invitations with a one-time link. Viewers only see the list."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import reflex as rx
from reflex.vars import ObjectVar

from common.enums import Role
from frontend import api
from frontend.components import (
    callout,
    card,
    error_callout,
    labeled,
    loading,
    notice_callout,
    role_badge,
    section_title,
    when,
)
from frontend.components.dialogs import confirm_dialog
from frontend.components.frame import layout
from frontend.pages.auth import dev_mailbox_pointer
from frontend.state import AuthState, PageState, Redirect, event

ROLES = [r.value for r in sorted(Role, key=lambda r: r.rank)]


class TeamState(PageState, AuthState):
    members: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    invitations: rx.Field[list[dict[str, str]]] = rx.field(default_factory=list)
    invite_email: str = ""
    invite_role: str = "editor"
    confirm_remove_id: str = ""
    confirm_remove_name: str = ""

    @rx.var
    def grantable_roles(self) -> list[str]:
        """Only an owner can hand out the owner role."""
        return ROLES if self.role == "owner" else [r for r in ROLES if r != "owner"]

    async def _reload(self) -> None:
        self.members = [
            {
                "user_id": str(m.user_id),
                "email": m.email,
                "full_name": m.full_name,
                "role": m.role.value,
                "joined": m.joined_at.isoformat(),  # shown in the viewer's time zone
                "is_me": "yes" if str(m.user_id) == self.user_id else "",
                # what this viewer may do to that member
                "editable": "yes"
                if self.is_admin and str(m.user_id) != self.user_id and (m.role != Role.owner or self.role == "owner")
                else "",
            }
            for m in await self._call(api.team.members)
        ]
        invitations = await self._call(api.team.invitations) if self.is_admin else []
        self.invitations = [
            {"id": str(i.id), "email": i.email, "role": i.role.value, "expires": i.expires_at.isoformat()}
            for i in invitations
        ]

    @event
    async def load(self) -> Redirect:
        self.error = self.notice = self.invite_email = ""
        redirect = await self._load_page(self._reload)
        self.loaded = True
        return redirect

    @event
    def set_invite_role(self, role: str) -> None:
        self.invite_role = role

    @event
    async def invite(self, form: dict[str, Any]) -> Any:
        email = str(form.get("email", "")).strip()
        self._clear_messages()
        if not email:
            self.error = "Enter the email address of the person to invite."
            return None

        async def work() -> Redirect:
            # The link goes to the invitee by email only (never shown here: whoever holds it could take it).
            await self._call(api.team.invite, email, Role(self.invite_role))
            self.invite_email = email
            await self._point_at_mailbox(email)
            await self._reload()
            return rx.set_value("invite-email", "")

        return await self._attempt(work)

    async def _change(self, notice: str, work: Callable[[], Awaitable[None]]) -> Redirect:
        """One change to the team: call the API, say what happened, show the lists again."""
        self._clear_messages()

        async def change() -> Redirect:
            await work()
            self.notice = notice
            await self._reload()
            return None

        return await self._attempt(change)

    @event
    async def change_role(self, user_id: str, role: str) -> Redirect:
        return await self._change("Role updated.", lambda: self._call(api.team.change_role, user_id, Role(role)))

    @event
    def ask_remove(self, user_id: str, name: str) -> None:
        self.confirm_remove_id, self.confirm_remove_name = user_id, name

    @event
    def cancel_remove(self) -> None:
        self.confirm_remove_id = self.confirm_remove_name = ""

    @event
    async def confirm_remove(self) -> Redirect:
        user_id, self.confirm_remove_id = self.confirm_remove_id, ""
        notice = f"{self.confirm_remove_name} was removed from the workspace."
        return await self._change(notice, lambda: self._call(api.team.remove_member, user_id))

    @event
    async def revoke(self, invitation_id: str) -> Redirect:
        return await self._change("Invitation revoked.", lambda: self._call(api.team.revoke_invitation, invitation_id))


ROLE_HELP = {
    "viewer": "Reads the knowledge, the persona, programs and conversations; changes nothing.",
    "editor": "Also uploads and deletes knowledge, edits the persona and builds and runs programs.",
    "admin": "Also invites people, changes their roles and approves the persona.",
    "owner": "Everything, including naming other owners.",
}


def role_select(value: Any, on_change: Any, **trigger: Any) -> rx.Component:
    """A role picker over the roles this person may hand out (name it with `id=` and a label, or `aria_label=`)."""
    return rx.select.root(
        rx.select.trigger(**trigger),
        rx.select.content(rx.foreach(TeamState.grantable_roles, lambda r: rx.select.item(r, value=r))),
        value=value,
        on_change=on_change,
    )


def roles_explained() -> rx.Component:
    return rx.el.details(
        rx.el.summary("What can each role do?", cursor="pointer", font_size="var(--font-size-2)"),
        rx.el.dl(
            *[
                rx.fragment(rx.el.dt(role.capitalize(), font_weight="600", margin_top="6px"),
                            rx.el.dd(text, margin_left="0", color=rx.color("gray", 11)))
                for role, text in ROLE_HELP.items()
            ],
            font_size="var(--font-size-2)",
        ),
        width="100%",
    )  # fmt: skip


def invite_card() -> rx.Component:
    return card(
        section_title("Invite a colleague", "user-plus"),
        rx.form(
            rx.flex(
                rx.box(
                    labeled(
                        "Email address",
                        rx.input(
                            name="email",
                            id="invite-email",
                            type="email",
                            placeholder="colleague@example.com",
                            size="3",
                            width="100%",
                            data_testid="invite-email",
                        ),
                        html_for="invite-email",
                    ),
                    flex="1",
                    min_width="220px",
                ),
                rx.box(
                    labeled(
                        "Role",
                        role_select(
                            TeamState.invite_role,
                            TeamState.set_invite_role,
                            id="invite-role",
                            size="3",
                            data_testid="invite-role",
                        ),
                        html_for="invite-role",
                    ),
                    min_width="140px",
                ),
                rx.button(
                    rx.icon("send", size=16), "Send invitation", type="submit", size="3", data_testid="invite-submit"
                ),
                spacing="3",
                wrap="wrap",
                align="end",
                width="100%",
            ),
            on_submit=TeamState.invite,
            width="100%",
        ),
        rx.text(
            rx.match(TeamState.invite_role, *ROLE_HELP.items(), ""),
            size="2",
            color=rx.color("gray", 11),
            data_testid="role-help",
        ),
        roles_explained(),
        rx.cond(
            TeamState.invite_email != "",
            callout(
                rx.text(
                    "Invitation emailed to ",
                    rx.text.strong(TeamState.invite_email),
                    ". The link in it works once, for 7 days.",
                ),
                icon="mail",
                color_scheme="green",
                width="100%",
                data_testid="invite-sent",
            ),
        ),
        rx.cond(TeamState.invite_email != "", dev_mailbox_pointer()),
        data_testid="invite-card",
    )


def member_row(m: ObjectVar[dict[str, str]]) -> rx.Component:
    """One person: name and email, role (a picker when you may change it), when they joined, remove."""
    return rx.flex(
        rx.vstack(
            rx.text(m["full_name"], rx.cond(m["is_me"] != "", " (you)", ""), weight="medium"),
            rx.text(m["email"], size="1", color=rx.color("gray", 11), word_break="break-all"),
            spacing="0",
            flex="1",
            min_width="180px",
        ),
        rx.cond(
            m["editable"] != "",
            role_select(m["role"], lambda r: TeamState.change_role(m["user_id"], r), size="2",
                        aria_label="Role of " + m["full_name"], data_testid="member-role-select"),
            role_badge(m["role"]),
        ),
        rx.text("joined ", when(m["joined"]), size="2", color=rx.color("gray", 11), min_width="120px"),
        rx.cond(
            m["editable"] != "",
            rx.icon_button(rx.icon("user-minus", size=16), color_scheme="red", variant="soft", size="2",
                           on_click=TeamState.ask_remove(m["user_id"], m["full_name"]),
                           aria_label="Remove " + m["full_name"], data_testid="member-remove"),
        ),
        role="listitem",
        align="center",
        wrap="wrap",
        spacing="3",
        width="100%",
        padding_y="10px",
        border_bottom=f"1px solid {rx.color('gray', 4)}",
        data_testid="member-row",
    )  # fmt: skip


def invitation_row(i: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.flex(
        rx.text(i["email"], flex="1", min_width="180px", word_break="break-all"),
        role_badge(i["role"]),
        rx.text("until ", when(i["expires"]), size="2", color=rx.color("gray", 11)),
        rx.button("Revoke", size="1", variant="soft", color_scheme="red", on_click=TeamState.revoke(i["id"]),
                  aria_label="Revoke the invitation of " + i["email"]),
        role="listitem",
        align="center",
        wrap="wrap",
        spacing="3",
        width="100%",
        padding_y="8px",
        data_testid="invitation-row",
    )  # fmt: skip


def remove_dialog() -> rx.Component:
    return confirm_dialog(
        "Remove team member",
        [
            "Remove ",
            rx.text.strong(TeamState.confirm_remove_name),
            " from this workspace? They lose access immediately.",
        ],
        "Remove",
        on_cancel=TeamState.cancel_remove,
        on_confirm=TeamState.confirm_remove,
        confirm_testid="confirm-remove",
        open_=TeamState.confirm_remove_id != "",
    )


def team_page() -> rx.Component:
    return layout(
        error_callout(TeamState.error),
        notice_callout(TeamState.notice),
        rx.cond(TeamState.is_admin, invite_card()),
        rx.cond(
            TeamState.loaded,
            card(
                section_title("Members", "users"),
                rx.vstack(rx.foreach(TeamState.members, member_row), role="list", spacing="0", width="100%"),
                rx.cond(
                    ~TeamState.is_admin,
                    rx.text(
                        "Only owners and admins can invite people or change roles.",
                        size="2",
                        color_scheme="gray",
                        data_testid="viewer-note",
                    ),
                ),
            ),
            loading(),
        ),
        rx.cond(
            TeamState.is_admin & (TeamState.invitations.length() > 0),
            card(
                section_title("Pending invitations", "mail"),
                rx.vstack(rx.foreach(TeamState.invitations, invitation_row), role="list", spacing="0", width="100%"),
            ),
        ),
        remove_dialog(),
        title="Team",
        subtitle="Who can work in this workspace, and what they may do.",
    )
