"""The hub's contracts are the API's: `frontend/api/contracts.py` is generated from the API's own OpenAPI schema,
and `frontend/` type-checks against them in `just lint` (mypy frontend), so a changed response shape fails
there, not in a person's browser."""

from __future__ import annotations

import msgspec

from frontend import gen_contracts
from frontend.api import contracts


def test_contracts_match_the_api() -> None:
    fresh = gen_contracts.render(gen_contracts.api_schema())
    assert fresh == gen_contracts.TARGET.read_text(), (
        "frontend/api/contracts.py is stale: the API's schemas changed. Run `just contracts` and commit the file."
    )


def test_contracts_decode_what_the_api_sends() -> None:
    """A shared enum comes from common.enums, ids and times are typed, optional fields have defaults."""
    raw = (
        b'{"id": "5d1f3c1e-9a52-4a39-9a8b-0c6f1b2f9d10", "email": "a@example.com", "role": "editor",'
        b' "expires_at": "2026-01-02T07:00:00+00:00", "accepted_at": null}'
    )
    invitation = msgspec.json.decode(raw, type=contracts.InvitationOut)
    assert invitation.role is contracts.Role.editor and "token" not in contracts.InvitationOut.__struct_fields__
    assert invitation.expires_at.year == 2026 and str(invitation.id).startswith("5d1f3c1e")
