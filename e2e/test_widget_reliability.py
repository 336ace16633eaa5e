"""Reliability a member never notices: the socket between the chat and the API runs through Playwright's
WebSocket routing, which lets a test lose frames and cut the connection. Whatever is lost comes back once,
in order: pushed messages from the catch-up after a reconnect (or when the tab becomes visible again), a
reply from the resent message (same client id: the API replays it, never answers twice)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, WebSocketRoute, expect

from e2e.hostpages import HostSite
from e2e.widget_setup import (
    DONE,
    Coach,
    a_member,
    ask,
    coach,
    conversation_of,
    creator_does,
    site,
    staff,
    stored,
    watch,
)

__all__ = ["coach", "site"]  # fixtures


@dataclass
class Wire:
    """The chat's socket, proxied: drop what the server sends that matches `drop`; cut the connection."""

    drop: re.Pattern[str] | None = None
    routes: list[WebSocketRoute] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    received: list[str] = field(default_factory=list)  # everything the server sent, for a failure's report
    sent: list[str] = field(default_factory=list)

    def attach(self, context: BrowserContext) -> None:
        context.route_web_socket(re.compile(r"/ws/chat"), self._route)

    def _route(self, ws: WebSocketRoute) -> None:
        server = ws.connect_to_server()
        self.routes.append(ws)

        def down(message: str | bytes) -> None:
            text = message if isinstance(message, str) else message.decode()
            self.received.append(text[:160])
            if self.drop is not None and self.drop.search(text):
                self.dropped.append(text)
                return
            ws.send(message)

        def up(message: str | bytes) -> None:
            self.sent.append(message if isinstance(message, str) else message.decode())
            server.send(message)

        server.on_message(down)
        ws.on_message(up)

    def cut(self) -> None:
        """The network drops: the page sees its socket close (and reconnects on its own)."""
        self.routes[-1].close(code=1006, reason="network lost")


@pytest.fixture
def wired(browser: Browser) -> Iterator[tuple[BrowserContext, Wire]]:
    context = watch(browser.new_context(viewport={"width": 1366, "height": 768}))
    wire = Wire()
    wire.attach(context)
    yield context, wire
    print("[socket frames]", *wire.received, sep="\n  ")
    context.close()


def texts(page: Page) -> list[str]:
    frame = next(f for f in page.frames if "/widget/frame" in f.url)
    found: list[str] = frame.locator("#log .msg .bubble").all_inner_texts()
    return found


def test_messages_lost_on_a_dropped_socket_come_back_once_in_order(
    wired: tuple[BrowserContext, Wire], coach: Coach, site: HostSite
) -> None:
    context, wire = wired
    page, frame, member_id = a_member(context, site, coach, "Wire")

    with staff(coach) as api:
        cid = conversation_of(api, member_id)
        creator_does(api, cid, "takeover")
        expect(frame.locator("#log").get_by_text(re.compile("has joined the conversation"))).to_be_visible()
        # Pushed while the connection silently loses everything the server sends.
        wire.drop = re.compile(r'"type":\s*"message"')
        for text in ("First, breathe.", "Second, write it down.", "Third, sleep on it."):
            creator_does(api, cid, "messages", text)
        page.wait_for_timeout(1000)
        assert len(wire.dropped) == 3
        expect(frame.locator("#log .msg--creator")).to_have_count(0)
        # The tab comes back into view: the chat checks for what it missed, without a reconnect.
        wire.drop = None
        frame.locator("body").evaluate("() => document.dispatchEvent(new Event('visibilitychange'))")
        expect(frame.locator("#log .msg--creator")).to_have_count(3)
        assert texts(page)[-3:] == ["First, breathe.", "Second, write it down.", "Third, sleep on it."]

        # Now the connection drops outright while more is said.
        wire.drop = re.compile(r'"type":\s*"message"')
        creator_does(api, cid, "messages", "Fourth, rest.")
        page.wait_for_timeout(800)
        wire.drop = None
        sockets = len(wire.routes)
        wire.cut()
        expect(frame.locator("#log .msg--creator")).to_have_count(4, timeout=15_000)
        assert len(wire.routes) == sockets + 1  # it reconnected by itself
        assert texts(page)[-4:] == [
            "First, breathe.",
            "Second, write it down.",
            "Third, sleep on it.",
            "Fourth, rest.",
        ]
        creator_does(api, cid, "release")


def test_a_reply_lost_in_flight_is_replayed_never_answered_twice(
    wired: tuple[BrowserContext, Wire], coach: Coach, site: HostSite
) -> None:
    context, wire = wired
    page, frame, _ = a_member(context, site, coach, "Replay")

    # The answer to the next question never reaches the page, and then the connection drops.
    wire.drop = re.compile(r'"type":\s*"(token|reply)"')
    ask(frame, "What is the best remedy for anger?")
    deadline = time.monotonic() + 30
    while not any('"reply"' in d for d in wire.dropped):
        assert time.monotonic() < deadline, "the reply never came"
        page.wait_for_timeout(100)
    wire.drop = None
    wire.cut()
    reply = frame.locator(DONE)
    expect(reply).to_have_count(2, timeout=15_000)
    expect(reply.last).to_contain_text(re.compile("delay is the best remedy", re.I))
    expect(frame.locator("#log .msg--member")).to_have_count(2)
    # The message went up again with the same client id: the API replayed its stored reply.
    ids = [re.search(r'"client_id":\s*"([^"]+)"', s) for s in wire.sent if "best remedy" in s]
    assert len(ids) >= 2 and len({m.group(1) for m in ids if m}) == 1
    page.wait_for_timeout(1000)
    expect(reply).to_have_count(2)
    with staff(coach) as api:
        cid = conversation_of(api, stored(page, coach)["m"])
        messages = api.get(f"/api/v1/conversations/{cid}").json()["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant", "user", "assistant"]


def test_an_expired_session_is_renewed_without_the_member_noticing(
    wired: tuple[BrowserContext, Wire], coach: Coach, site: HostSite
) -> None:
    context, wire = wired
    sessions: list[str] = []
    context.on("request", lambda r: sessions.append(r.url) if r.url.endswith("/api/v1/widget/sessions") else None)
    page, frame, member_id = a_member(context, site, coach, "Expiry")
    asked = len(sessions)
    # The server refuses the token on the socket (what it does when the token expired): 4401.
    wire.routes[-1].close(code=4401, reason="token expired")
    deadline = time.monotonic() + 15
    while len(sessions) == asked:
        assert time.monotonic() < deadline, "no new session after the socket refused the token"
        page.wait_for_timeout(100)
    ask(frame, "What is the best remedy for anger?")
    expect(frame.locator(DONE)).to_have_count(2, timeout=30_000)
    assert stored(page, coach)["m"] == member_id  # the same member, a new token
