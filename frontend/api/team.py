"""The workspace and its team: rename, members and roles, invitations."""

from __future__ import annotations

from common.enums import Role
from frontend.api.contracts import InvitationIn, InvitationOut, RoleIn, TeamMemberOut, WorkspaceIn, WorkspaceOut
from frontend.api.transport import send


async def workspace(token: str) -> WorkspaceOut:
    return await send("GET", "/api/v1/workspace", token, into=WorkspaceOut)


async def rename_workspace(token: str, name: str) -> WorkspaceOut:
    return await send("PATCH", "/api/v1/workspace", token, body=WorkspaceIn(name=name), into=WorkspaceOut)


async def members(token: str) -> list[TeamMemberOut]:
    return await send("GET", "/api/v1/team/members", token, into=list[TeamMemberOut])


async def change_role(token: str, user_id: str, role: Role) -> None:
    await send("PATCH", f"/api/v1/team/members/{user_id}", token, body=RoleIn(role=role))


async def remove_member(token: str, user_id: str) -> None:
    await send("DELETE", f"/api/v1/team/members/{user_id}", token)


async def invitations(token: str) -> list[InvitationOut]:
    return await send("GET", "/api/v1/team/invitations", token, into=list[InvitationOut])


async def invite(token: str, email: str, role: Role) -> InvitationOut:
    body = InvitationIn(email=email, role=role)
    return await send("POST", "/api/v1/team/invitations", token, body=body, into=InvitationOut)


async def revoke_invitation(token: str, invitation_id: str) -> None:
    await send("DELETE", f"/api/v1/team/invitations/{invitation_id}", token)
