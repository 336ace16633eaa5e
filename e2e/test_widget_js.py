"""The widget's browser modules on their own, in Chromium: safe markdown and the conversation's bookkeeping.

No API and no hub needed: the modules are served by a static loopback site (e2e/hostpages.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from e2e.hostpages import HostSite, host_site


@pytest.fixture(scope="module")
def site() -> Iterator[HostSite]:
    with host_site() as s:
        s.put("/blank.html", "<!doctype html><html lang=en><title>t</title><body><div id=out></div></body></html>")
        yield s


@pytest.fixture
def blank(browser: Browser, site: HostSite) -> Iterator[Page]:
    page = browser.new_page()
    page.goto(site.url("/blank.html"))
    yield page
    page.close()


def render(page: Page, text: str) -> dict[str, Any]:
    """Markdown rendered into #out: its HTML, its text, and what a browser would have run."""
    result: dict[str, Any] = page.evaluate(
        """async (text) => {
            window.__ran = 0;
            const md = await import('/static/md.js');
            const out = document.getElementById('out');
            out.replaceChildren(md.renderMarkdown(text, { cite: (n) => {
                const b = document.createElement('button'); b.className = 'cite'; b.textContent = n; return b; } }));
            await new Promise((r) => setTimeout(r, 50));
            return { html: out.innerHTML, text: out.textContent, ran: window.__ran,
                     scripts: out.querySelectorAll('script, iframe, img, object, embed, style').length,
                     handlers: [...out.querySelectorAll('*')].flatMap(e => [...e.attributes].map(a => a.name))
                               .filter(n => n.startsWith('on')).length,
                     protocols: [...out.querySelectorAll('a')].map(a => a.protocol) };
        }""",
        text,
    )
    return result


ATTACKS = [
    "<script>window.__ran = 1</script>",
    '<img src=x onerror="window.__ran = 1">',
    '<a href="javascript:window.__ran=1">click</a>',
    "[click](javascript:window.__ran=1)",
    "[click](JaVaScRiPt:window.__ran=1)",
    "[click](data:text/html,<script>window.__ran=1</script>)",
    '**<svg onload="window.__ran=1">**',
    "`<iframe src=javascript:window.__ran=1>`",
    "> <style>body{display:none}</style>",
    "- <b onmouseover=window.__ran=1>x</b>",
]


@pytest.mark.parametrize("attack", ATTACKS)
def test_markup_from_anyone_is_shown_as_text(blank: Page, attack: str) -> None:
    r = render(blank, attack)
    assert r["ran"] == 0
    assert r["scripts"] == 0
    assert r["handlers"] == 0
    assert set(r["protocols"]) <= {"http:", "https:", "mailto:"}
    # what was typed is still readable
    assert "window.__ran" in r["text"] or "display:none" in r["text"]


def test_markdown_renders_emphasis_lists_quotes_links_and_citations(blank: Page) -> None:
    text = (
        "Here is **what I wrote** and *why*:\n\n"
        "- first point\n- second `code`\n\n"
        "1. one\n2. two\n\n"
        "> a quote [1]\n\n"
        "See [the letters](https://example.com/letters) or https://example.org/x."
    )
    r = render(blank, text)
    html = r["html"]
    assert "<strong>what I wrote</strong>" in html
    assert "<em>why</em>" in html
    assert "<ul><li>first point</li><li>second <code>code</code></li></ul>" in html
    assert "<ol><li>one</li><li>two</li></ol>" in html
    assert '<blockquote><p>a quote <button class="cite">1</button></p></blockquote>' in html
    assert (
        '<a href="https://example.com/letters" target="_blank" rel="noopener noreferrer nofollow ugc">the letters</a>'
        in html
    )
    # a bare link, without the sentence's full stop
    assert '<a href="https://example.org/x" target="_blank" rel="noopener noreferrer nofollow ugc">' in html


def test_escaped_marks_in_quoted_sentences_show_as_plain_characters(blank: Page) -> None:
    # Offline replies escape markdown marks inside the creator's sentences: shown as the characters, never
    # as a backslash, and never turned into emphasis.
    r = render(blank, "> Say \\_this\\_ and 2 \\* 3 \\* 4, not \\*that\\*. [1]")
    assert r["text"] == "Say _this_ and 2 * 3 * 4, not *that*. 1"
    assert "<em>" not in r["html"] and "\\" not in r["text"]


def test_timeline_shows_each_message_once_in_order(blank: Page) -> None:
    r = blank.evaluate(
        """async () => {
            const { Timeline } = await import('/static/timeline.js');
            const t = new Timeline();
            const mine = t.addPending('c1', 'How do I start?');
            t.upsert({ role: 'assistant', content: '', client_id: 're:c1' });       // the stream begins
            t.upsert({ id: 'u1', role: 'user', client_id: 'c1', content: 'How do I start?' });
            t.upsert({ id: 'a1', role: 'assistant', client_id: 're:c1', content: 'Begin.' });
            t.upsert({ id: 'p1', role: 'assistant', mode: 'program', content: 'Day 2' });  // pushed live
            // the catch-up after a reconnect returns some of the same messages again
            for (const m of [{ id: 'a1', role: 'assistant', content: 'Begin.' },
                             { id: 'p1', role: 'assistant', mode: 'program', content: 'Day 2' },
                             { id: 'c9', role: 'creator', content: 'Hi, Anna here', author_name: 'Anna' }]) t.upsert(m);
            // a message sent here whose reply never came: the server's copy (no client id) is the same message
            const lost = t.addPending('c2', 'Still there?');
            t.upsert({ id: 'u2', role: 'user', content: 'Still there?' });
            return { ids: t.items.map(i => i.id), roles: t.items.map(i => i.role), last: t.lastServerId(),
                     mineConfirmed: !mine.pending && mine.id === 'u1', lostConfirmed: lost.id === 'u2',
                     author: t.items[3].author };
        }"""
    )
    assert r["ids"] == ["u1", "a1", "p1", "c9", "u2"]
    assert r["roles"] == ["member", "twin", "program", "creator", "member"]
    assert r["last"] == "u2"
    assert r["mineConfirmed"] and r["lostConfirmed"]
    assert r["author"] == "Anna"


def test_checkin_answers_come_from_the_message_and_close_when_answered(blank: Page) -> None:
    r = blank.evaluate(
        """async () => {
            const { Timeline, checkinOf } = await import('/static/timeline.js');
            const t = new Timeline();
            t.upsert({ id: 'p1', role: 'program', text: 'How was today? (1-5)',
                       check_in: { node_id: 'mood', kind: 'scale', min: 1, max: 5,
                                   options: ['1', '2', '3', '4', '5'] } });
            const open = t.openCheckin()?.id;
            t.upsert({ id: 'u1', role: 'user', content: '4' });
            return { open, after: t.openCheckin(), yesNo: checkinOf({ check_in: { kind: 'yes_no' } }),
                     scale: checkinOf({ check_in: { kind: 'scale', min: 0, max: 3 } }),
                     free: checkinOf({ check_in: { kind: 'text', options: [] } }),
                     silly: checkinOf({ check_in: { kind: 'scale', min: 1, max: 1000 } }) };
        }"""
    )
    assert r["open"] == "p1"
    assert r["after"] is None
    assert r["yesNo"]["options"] == ["Yes", "No"]
    assert r["scale"]["options"] == ["0", "1", "2", "3"]
    assert r["free"] is None
    assert r["silly"] is None
