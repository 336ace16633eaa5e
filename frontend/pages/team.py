"""Team: members and their roles, invitations with a one-time link. Viewers only see the list."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import reflex as rx
from reflex.vars import ObjectVar

from common.enums import Role
from frontend import api, format
from frontend.components import card, error_callout, layout, loading, notice_callout, role_badge, section_title
from frontend.components.dialogs import confirm_dialog
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
                "joined": format.day(m.joined_at),
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
            {"id": str(i.id), "email": i.email, "role": i.role.value, "expires": format.day(i.expires_at)}
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


def invite_card() -> rx.Component:
    return card(
        section_title("Invite a colleague", "user-plus"),
        rx.form(
            rx.flex(
                rx.input(
                    name="email",
                    id="invite-email",
                    type="email",
                    placeholder="colleague@example.com",
                    size="3",
                    flex="1",
                    min_width="220px",
                    data_testid="invite-email",
                ),
                rx.select(
                    TeamState.grantable_roles,
                    value=TeamState.invite_role,
                    on_change=TeamState.set_invite_role,
                    size="3",
                    data_testid="invite-role",
                ),
                rx.button(
                    rx.icon("send", size=16), "Send invitation", type="submit", size="3", data_testid="invite-submit"
                ),
                spacing="3",
                wrap="wrap",
                width="100%",
            ),
            on_submit=TeamState.invite,
            width="100%",
        ),
        rx.cond(
            TeamState.invite_email != "",
            rx.callout(
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
        data_testid="invite-card",
    )


def member_row(m: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.vstack(
                rx.text(m["full_name"], rx.cond(m["is_me"] != "", " (you)", ""), weight="medium"),
                rx.text(m["email"], size="1", color_scheme="gray"),
                spacing="0",
            )
        ),
        rx.table.cell(
            rx.cond(
                m["editable"] != "",
                rx.select(
                    TeamState.grantable_roles,
                    value=m["role"],
                    on_change=lambda r: TeamState.change_role(m["user_id"], r),
                    size="2",
                    data_testid="member-role-select",
                ),
                role_badge(m["role"]),
            )
        ),
        rx.table.cell(rx.text(m["joined"], size="2", color_scheme="gray")),
        rx.table.cell(
            rx.cond(
                m["editable"] != "",
                rx.icon_button(
                    rx.icon("user-minus", size=16),
                    color_scheme="red",
                    variant="soft",
                    size="2",
                    on_click=TeamState.ask_remove(m["user_id"], m["full_name"]),
                    aria_label="Remove member",
                    data_testid="member-remove",
                ),
            )
        ),
        data_testid="member-row",
        align="center",
    )


def invitation_row(i: ObjectVar[dict[str, str]]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(i["email"]),
        rx.table.cell(role_badge(i["role"])),
        rx.table.cell(rx.text("until ", i["expires"], size="2", color_scheme="gray")),
        rx.table.cell(
            rx.button("Revoke", size="1", variant="soft", color_scheme="red", on_click=TeamState.revoke(i["id"]))
        ),
        data_testid="invitation-row",
    )


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
                rx.table.root(
                    rx.table.header(
                        rx.table.row(
                            rx.table.column_header_cell("Person"),
                            rx.table.column_header_cell("Role"),
                            rx.table.column_header_cell("Joined"),
                            rx.table.column_header_cell(""),
                        )
                    ),
                    rx.table.body(rx.foreach(TeamState.members, member_row)),
                    width="100%",
                    variant="ghost",
                ),
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
                rx.table.root(
                    rx.table.body(rx.foreach(TeamState.invitations, invitation_row)), width="100%", variant="ghost"
                ),
            ),
        ),
        remove_dialog(),
        title="Team",
        subtitle="Who can work in this workspace, and what they may do.",
    )
