"""Unit tests of the role guards, the grant rule, the password policy and token verification."""

from __future__ import annotations

import base64
import json
import time
import uuid
from dataclasses import replace
from types import SimpleNamespace
from typing import Any

import jwt
import pytest

from backend.auth.invitations import may_grant
from backend.lib.errors import Forbidden, InvalidInput, NotAuthenticated
from backend.lib.principal import Principal, has_role, min_role, staff
from backend.lib.security import Passwords, Tokens, check_password_policy
from common.enums import PrincipalKind, Role
from common.settings import Settings

ROLES = [Role.viewer, Role.editor, Role.admin, Role.owner]
SETTINGS = Settings(jwt_secret="unit-test-secret-0123456789abcdef0123456789")


def _principal(role: Role | None, kind: PrincipalKind = PrincipalKind.staff) -> Principal:
    return Principal(kind, uuid.uuid4(), uuid.uuid4(), role, uuid.uuid4(), int(time.time()) + 60)


def _conn(user: Any) -> Any:
    return SimpleNamespace(user=user)


# ---- roles -------------------------------------------------------------------------------------


@pytest.mark.parametrize("actual", ROLES)
@pytest.mark.parametrize("minimum", ROLES)
async def test_has_role_and_min_role_follow_the_rank(actual: Role, minimum: Role) -> None:
    allowed = ROLES.index(actual) >= ROLES.index(minimum)
    principal = _principal(actual)
    assert has_role(principal, minimum) is allowed
    guard = min_role(minimum)
    if allowed:
        await guard(_conn(principal), None)
    else:
        with pytest.raises(Forbidden, match=minimum.value):
            await guard(_conn(principal), None)


@pytest.mark.parametrize("minimum", ROLES)
async def test_members_and_anonymous_never_pass_a_staff_guard(minimum: Role) -> None:
    member = _principal(None, PrincipalKind.member)
    # Even a member token that somehow carried a role claim is not staff.
    member_with_role = _principal(Role.owner, PrincipalKind.member)
    for user in (member, member_with_role, None, "someone", {"role": "owner"}):
        assert not isinstance(user, Principal) or not has_role(user, minimum)
        with pytest.raises(Forbidden):
            await min_role(minimum)(_conn(user), None)
    with pytest.raises(Forbidden):
        staff(_conn(member))
    assert not has_role(_principal(None), Role.viewer)  # staff without a role


def test_min_role_guards_have_distinct_names_and_are_async() -> None:
    import inspect

    assert min_role(Role.admin).__name__ == "min_role_admin"
    assert min_role(Role.viewer).__name__ == "min_role_viewer"
    # A sync guard would be run through a thread pool on every request.
    assert inspect.iscoroutinefunction(min_role(Role.viewer))


@pytest.mark.parametrize(
    ("actor", "role", "allowed"),
    [
        (Role.owner, Role.owner, True),
        (Role.owner, Role.admin, True),
        (Role.owner, Role.viewer, True),
        (Role.admin, Role.owner, False),
        (Role.admin, Role.admin, True),
        (Role.admin, Role.editor, True),
        (Role.admin, Role.viewer, True),
        (Role.editor, Role.viewer, False),
        (Role.editor, Role.editor, False),
        (Role.viewer, Role.viewer, False),
    ],
)
def test_may_grant(actor: Role, role: Role, allowed: bool) -> None:
    assert may_grant(actor, role) is allowed


# ---- password policy ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("Short-1", "at least"),
        ("a" * 9, "at least"),
        ("x" * 257 + "A1", "at most"),
        ("alllowercaseletters", "mix"),
        ("12345678901234", "mix"),
        ("PASSWORD123", "easy"),  # upper + digits, but a well-known password
        ("Password123", "easy"),
    ],
)
def test_password_policy_refuses(password: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        check_password_policy(password)


def test_password_policy_refuses_the_email() -> None:
    with pytest.raises(InvalidInput, match="easy"):
        check_password_policy("Jane.Doe@Example.com", "jane.doe@example.com")


@pytest.mark.parametrize("password", ["Correct-Horse-42", "lowercase-with-dash", "UPPER1234567", "ñandú-Über-café"])
def test_password_policy_accepts(password: str) -> None:
    check_password_policy(password, "someone@example.com")


def test_passwords_hash_is_argon2id_and_verifies() -> None:
    pw = Passwords(replace(SETTINGS, argon2_time_cost=1, argon2_memory_cost=8192, argon2_parallelism=1))
    h = pw.hash("Correct-Horse-42")
    assert h.startswith("$argon2id$")
    assert "m=8192,t=1,p=1" in h
    assert pw.verify(h, "Correct-Horse-42")
    assert not pw.verify(h, "correct-horse-42")
    assert not pw.verify(None, "anything")  # unknown user: checked against a dummy, still False
    assert not pw.verify("", "")
    assert not pw.verify("not-a-hash", "x")
    assert pw.parameters == {"time_cost": 1, "memory_cost": 8192, "parallelism": 1}


# ---- tokens ------------------------------------------------------------------------------------


@pytest.fixture
def tokens() -> Tokens:
    return Tokens(SETTINGS)


def _b64(obj: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()


def _claims(**over: Any) -> dict[str, Any]:
    now = int(time.time())
    return {
        "sub": str(uuid.uuid4()),
        "cid": str(uuid.uuid4()),
        "typ": "access",
        "jti": str(uuid.uuid4()),
        "iat": now,
        "exp": now + 60,
        "role": "owner",
        **over,
    }


def test_tokens_roundtrip(tokens: Tokens) -> None:
    sub, cid = uuid.uuid4(), uuid.uuid4()
    token, issued = tokens.issue(typ="access", sub=sub, cid=cid, ttl=60, role="admin")
    claims = tokens.verify(token, typ="access")
    assert (claims.sub, claims.cid, claims.typ, claims.role) == (sub, cid, "access", "admin")
    assert claims.jti == issued.jti and claims.exp == issued.exp


def test_tokens_refuse_alg_none(tokens: Tokens) -> None:
    unsigned = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(_claims())}."
    with pytest.raises(NotAuthenticated, match="invalid"):
        tokens.verify(unsigned, typ="access")
    for alg in ("None", "NONE"):
        with pytest.raises(NotAuthenticated):
            tokens.verify(f"{_b64({'alg': alg})}.{_b64(_claims())}.", typ="access")


def test_tokens_cannot_be_configured_with_alg_none() -> None:
    with pytest.raises(RuntimeError):
        Tokens(replace(SETTINGS, jwt_algorithm="none"))
    with pytest.raises(RuntimeError):
        Tokens(replace(SETTINGS, jwt_algorithm=""))


def test_tokens_refuse_another_algorithm_and_forged_signature(tokens: Tokens) -> None:
    with pytest.raises(NotAuthenticated):
        tokens.verify(jwt.encode(_claims(), SETTINGS.jwt_secret, algorithm="HS512"), typ="access")
    with pytest.raises(NotAuthenticated, match="invalid"):
        tokens.verify(jwt.encode(_claims(), "another-secret-of-sufficient-length-000", algorithm="HS256"), typ="access")
    good, _ = tokens.issue(typ="access", sub=uuid.uuid4(), cid=uuid.uuid4(), ttl=60, role="viewer")
    head, _, sig = good.rpartition(".")
    tampered_payload = head.split(".")[0] + "." + _b64(_claims(role="owner"))
    with pytest.raises(NotAuthenticated):
        tokens.verify(f"{tampered_payload}.{sig}", typ="access")


def test_tokens_refuse_expired(tokens: Tokens) -> None:
    token, _ = tokens.issue(typ="access", sub=uuid.uuid4(), cid=uuid.uuid4(), ttl=-10)
    with pytest.raises(NotAuthenticated, match="expired"):
        tokens.verify(token, typ="access")


def test_tokens_refuse_wrong_type(tokens: Tokens) -> None:
    refresh, _ = tokens.issue(typ="refresh", sub=uuid.uuid4(), cid=uuid.uuid4(), ttl=60, fam=uuid.uuid4())
    with pytest.raises(NotAuthenticated, match="access"):
        tokens.verify(refresh, typ=("access", "member"))
    access, _ = tokens.issue(typ="access", sub=uuid.uuid4(), cid=uuid.uuid4(), ttl=60)
    with pytest.raises(NotAuthenticated, match="refresh"):
        tokens.verify(access, typ="refresh")
    member, _ = tokens.issue(typ="member", sub=uuid.uuid4(), cid=uuid.uuid4(), ttl=60)
    assert tokens.verify(member, typ=("access", "member")).typ == "member"


@pytest.mark.parametrize(
    "payload",
    [
        _claims(exp=None),
        {k: v for k, v in _claims().items() if k != "cid"},
        {k: v for k, v in _claims().items() if k != "jti"},
        {k: v for k, v in _claims().items() if k != "typ"},
        _claims(sub="not-a-uuid"),
        _claims(cid=12345),
    ],
)
def test_tokens_refuse_missing_or_malformed_claims(tokens: Tokens, payload: dict[str, Any]) -> None:
    payload = {k: v for k, v in payload.items() if v is not None}
    with pytest.raises(NotAuthenticated):
        tokens.verify(jwt.encode(payload, SETTINGS.jwt_secret, algorithm="HS256"), typ="access")


@pytest.mark.parametrize("garbage", ["", "x", "a.b.c", "Bearer abc", "..", "é.é.é", "eyJ" * 100])
def test_tokens_refuse_garbage(tokens: Tokens, garbage: str) -> None:
    with pytest.raises(NotAuthenticated):
        tokens.verify(garbage, typ="access")
