"""Transactional mail: queued off the request path, sent over real SMTP (loopback aiosmtpd), retried while the
server is down, over STARTTLS or implicit TLS with credentials; captured into the dev mailbox in dev."""

from __future__ import annotations

import dataclasses
import datetime
import ssl
from pathlib import Path
from typing import Any

import msgspec
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from litestar.testing import AsyncTestClient

from backend.mail.jobs import send_mail
from backend.mail.message import Mail, build, masked, render
from backend.mail.service import queue
from backend.mail.transport import DevMailbox, send_smtp, smtp_target
from common.settings import Settings, get_settings
from tests.conftest import unique_email
from tests.fixtures.smtp import SmtpServer, SmtpSink


def _mail(to: str, kind: str = "test") -> Mail:
    return render(
        to=to,
        subject="Confirm <your> address",
        kind=kind,
        greeting="Hello Ada,",
        lines=["Someone asked to do a thing & this is it."],
        action=("Confirm", "http://127.0.0.1:3000/verify-email?token=abc.def"),
        footer="If this was not you, ignore this mail.",
    )


def _tls_context(folder: Path) -> ssl.SSLContext:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .sign(key, hashes.SHA256())
    )
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(folder / "cert.pem", folder / "key.pem")
    return context


def test_rendered_mail_has_text_and_escaped_html() -> None:
    message = build(_mail("ada@example.com"), "CoachTwin <no-reply@coachtwin.test>")
    text = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "http://127.0.0.1:3000/verify-email?token=abc.def" in text.splitlines()
    assert "thing &amp; this" in html and "<your>" not in html
    assert message["Message-ID"].endswith("@coachtwin.test>")
    assert masked("ada@example.com") == "a***@example.com"
    # A name typed with line breaks cannot add headers.
    sneaky = render(to="a@example.com", subject="Hi\r\nBcc: x@evil.example", kind="k", greeting="g", lines=[])
    assert sneaky.subject == "Hi Bcc: x@evil.example"
    assert build(sneaky, "s@example.com")["Bcc"] is None


async def test_queued_mail_arrives_over_smtp(platform: Any, mailbox: SmtpSink) -> None:
    to = unique_email("mail")
    await platform.services.jobs.start_worker()
    await queue(platform, _mail(to))
    got = await mailbox.await_message(to)
    assert got.subject == "Confirm <your> address"
    assert got.link("/verify-email") == "http://127.0.0.1:3000/verify-email?token=abc.def"
    assert "Confirm</a>" in got.html
    assert got.sender == "no-reply@localhost"


async def test_mail_is_retried_until_the_server_is_back(
    platform: Any, smtp_server: SmtpServer, mailbox: SmtpSink
) -> None:
    to = unique_email("retry")
    await platform.services.jobs.start_worker()
    smtp_server.stop()
    try:
        await queue(platform, _mail(to))  # the request path: queued, never waits, never fails
        with pytest.raises(AssertionError):
            await mailbox.await_message(to, timeout=1.0)
    finally:
        smtp_server.restart()
    got = await mailbox.await_message(to, timeout=30.0)
    assert got.subject.startswith("Confirm")


async def test_unreachable_server_raises_so_the_queue_retries() -> None:
    settings = dataclasses.replace(get_settings(), smtp_url="smtp://127.0.0.1:9", smtp_timeout=2.0)
    with pytest.raises(OSError):
        await send_mail({"platform": _FakePlatform(settings)}, mail={"to": "a@example.com", "subject": "s",
                                                                    "text": "t", "html": "<p>t</p>"})  # fmt: skip


class _FakePlatform:
    """Only the settings: the job reads nothing else when it sends."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings


async def test_starttls_with_credentials(tmp_path: Path) -> None:
    server = SmtpServer(credentials=("mailer", "s3cret:pw"), tls=_tls_context(tmp_path)).start()
    try:
        url = f"smtp://mailer:s3cret%3Apw@127.0.0.1:{server.port}"
        settings = dataclasses.replace(
            get_settings(), smtp_url=url, smtp_security="starttls", smtp_validate_certs=False
        )
        assert smtp_target(settings).start_tls is True and smtp_target(settings).password == "s3cret:pw"
        await send_smtp(settings, build(_mail("tls@example.com"), settings.mail_from))
        got = await server.sink.await_message("tls@example.com")
        assert server.sink.auth_seen == ["mailer"] and got.subject.startswith("Confirm")
    finally:
        server.stop()


async def test_implicit_tls(tmp_path: Path) -> None:
    server = SmtpServer(tls=_tls_context(tmp_path), implicit_tls=True).start()
    try:
        settings = dataclasses.replace(get_settings(), smtp_url=server.url, smtp_validate_certs=False)
        assert smtp_target(settings).use_tls
        await send_smtp(settings, build(_mail("ssl@example.com"), settings.mail_from))
        assert (await server.sink.await_message("ssl@example.com")).subject.startswith("Confirm")
    finally:
        server.stop()


async def test_dev_capture_writes_the_mailbox(tmp_path: Path) -> None:
    settings = dataclasses.replace(get_settings(), env="dev", smtp_url="", data_dir=tmp_path)
    assert settings.mail_captured
    mail = _mail("dev@example.com", kind="signup")
    assert await send_mail({"platform": _FakePlatform(settings)}, mail=msgspec.to_builtins(mail)) == "captured"
    box = DevMailbox(tmp_path / "mail")
    [entry] = box.list("DEV@example.com")
    assert entry["kind"] == "signup" and entry["links"] == ["http://127.0.0.1:3000/verify-email?token=abc.def"]
    assert box.get(entry["id"]) == entry
    assert box.get("../../etc/passwd") is None


def test_settings_outside_dev_need_smtp() -> None:
    keys = {"jwt_secret": "a-real-secret-" * 4, "secret_key": "an-encryption-key-" * 2}
    with pytest.raises(RuntimeError, match="SMTP_URL"):
        Settings(env="production", **keys).validate()
    with pytest.raises(RuntimeError, match="SMTP_SECURITY"):
        Settings(env="production", **keys, smtp_url="smtp://h:25", smtp_security="maybe").validate()
    Settings(env="production", **keys, smtp_url="smtp://mail.example.com:587").validate()
    assert not Settings(env="production").mail_captured and Settings(env="dev").mail_captured


def _from(peer: dict[str, str], app: Any) -> Any:
    """The app as reached by a client at `peer["host"]` (the test client's own address is "testclient")."""

    async def asgi(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] in {"http", "websocket"}:
            scope = {**scope, "client": (peer["host"], 40000)}
        await app(scope, receive, send)

    return asgi


async def test_dev_mailbox_route_only_in_dev_and_only_from_loopback(
    client: AsyncTestClient[Any], tmp_path: Path
) -> None:
    # The test app (APP_ENV=test, SMTP configured) has no such route at all.
    assert (await client.get("/api/v1/dev/mailbox")).status_code == 404
    from backend.app import create_app

    settings = dataclasses.replace(get_settings(), env="dev", smtp_url="", data_dir=tmp_path)
    mail = _mail("ada-dev@example.com", kind="signup")
    await send_mail({"platform": _FakePlatform(settings)}, mail=msgspec.to_builtins(mail))
    peer = {"host": "127.0.0.1"}
    async with AsyncTestClient(app=_from(peer, create_app(settings))) as local:  # type: ignore[arg-type]
        r = await local.get("/api/v1/dev/mailbox", params={"to": "ada-dev@example.com"})
        assert r.status_code == 200, r.text
        [entry] = r.json()
        assert entry["from"] == "CoachTwin <no-reply@localhost>" and entry["kind"] == "signup"
        assert entry["links"] == ["http://127.0.0.1:3000/verify-email?token=abc.def"]
        one = await local.get(f"/api/v1/dev/mailbox/{entry['id']}")
        assert one.status_code == 200 and one.json()["subject"] == "Confirm <your> address"
        assert (await local.get("/api/v1/dev/mailbox/0000000000000-" + "0" * 32)).status_code == 404
        peer["host"] = "203.0.113.9"  # any other machine
        r = await local.get("/api/v1/dev/mailbox")
        assert r.status_code == 403 and r.json()["error"] == "forbidden"
