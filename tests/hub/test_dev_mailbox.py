"""The hub's pointer to the dev mailbox: shown only when the API captures mail (APP_ENV=dev, no SMTP_URL), and
the hub reads the mailbox's answers as its own `DevMail` (declared by hand: the route is not in the OpenAPI)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from backend.mail.message import build, render
from backend.mail.transport import dev_mailbox
from common.settings import get_settings
from frontend import api
from frontend.api import transport
from tests.mail.test_mail import _from


async def test_the_pointer_follows_where_mail_goes(
    client: AsyncTestClient[Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The test app sends over SMTP: no mailbox, so the hub shows no pointer.
    monkeypatch.setattr(transport, "_client", client)
    assert not await api.dev.captured()

    from backend.app import create_app

    settings = dataclasses.replace(get_settings(), env="dev", smtp_url="", data_dir=tmp_path)
    link = "http://127.0.0.1:3000/accept-invitation?token=abc.def"
    mail = render(to="ida@example.com", subject="Join", kind="invitation", greeting="Hello,", lines=["Come."],
                  action=("Accept the invitation", link))  # fmt: skip
    dev_mailbox(settings).store(build(mail, settings.mail_from), "invitation")
    async with AsyncTestClient(app=_from({"host": "127.0.0.1"}, create_app(settings))) as local:  # type: ignore[arg-type]
        monkeypatch.setattr(transport, "_client", local)
        assert await api.dev.captured()
        [found] = await api.dev.mailbox("ida@example.com")
        assert (found.kind, found.to, found.links) == ("invitation", "ida@example.com", [link])
        assert await api.dev.mailbox("someone-else@example.com") == []
