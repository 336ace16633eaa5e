"""The web widget in a real browser: what it costs a creator's site, and how soon a visitor sees it.

Sizes (raw and gzip, as served): the loader (`/widget.js`), the chat UI the iframe loads (its page, styles
and the modules it imports) and the companion page's extra module. Then the API (one granian worker) on
its own database, a host page on another loopback origin embedding the snippet, and Debian's Chromium:
- script -> launcher: from the moment the browser starts fetching `/widget.js` to the launcher drawn (the
  loader's `coachtwin:launcher` performance mark), i.e. loader download + run + the config request;
- page -> launcher: from navigation start (what a visitor feels);
- open: a click on the launcher -> the chat's text box visible (the iframe loads on the pointer's approach);
each with an empty cache (a first visit) and a warm one (a second page of the same site). Load averages
before and after are reported beside the figures: the machine is shared.
"""

from __future__ import annotations

import gzip
import os
import statistics
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from e2e.hostpages import HostSite

NAME = "widget"
TITLE = "Web widget: loader and chat UI sizes, time to launcher, time to open"
DB_NAME = "coachtwin_bench_widget"
RUNS = 15
PASSWORD = "Correct-Horse-42"
CHAT_MODULES = ("chat.js", "inbox.js", "screen.js", "link.js", "session.js", "timeline.js", "view.js", "md.js")
CHAT_FILES = (*CHAT_MODULES, "chat.css")


def sizes() -> dict[str, Any]:
    from backend.widget.assets import bundle

    b = bundle()
    loader = b.files["loader.js"]
    page = b.templates["chat.html"].encode()
    chat = [b.files[n] for n in CHAT_FILES]
    companion = b.files["companion.js"]
    return {
        "loader_bytes": len(loader.body),
        "loader_gzip_bytes": len(loader.gzipped),
        "chat_ui_bytes": len(page) + sum(len(a.body) for a in chat),
        "chat_ui_gzip_bytes": len(gzip.compress(page, 9)) + sum(len(a.gzipped) for a in chat),
        "chat_ui_files": 1 + len(chat),
        "companion_extra_gzip_bytes": len(companion.gzipped),
    }


def _stats(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "n": len(ordered),
        "p50_ms": round(statistics.median(ordered), 1),
        "p95_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))], 1),
        "max_ms": round(ordered[-1], 1),
    }


def _workspace(api_url: str, allowed: str, env: dict[str, str]) -> str:
    import httpx

    from tests.bench import accounts

    email = f"bench-{time.time_ns()}@example.com"
    token = accounts.sign_up(api_url, email, PASSWORD, "Bench", worker_env=env)  # a worker sends the mail
    with httpx.Client(base_url=api_url, timeout=30) as api:
        headers = {"authorization": f"Bearer {token['access_token']}"}
        r = api.put("/api/v1/channels/web", headers=headers, json={"allowed_origins": [allowed]})
        assert r.status_code == 200, r.text
        return str(r.json()["public_key"])


# Floors, measured in the same page right after: one round trip to the API with no work behind it (the
# loader's least possible cost is its own download plus one such request), and an iframe of the API's
# origin with an empty page (the chat's least possible opening).
FLOORS = """async (api) => {
    let t = performance.now();
    await (await fetch(api + '/health', { cache: 'no-store' })).text();
    const roundTrip = performance.now() - t;
    t = performance.now();
    await new Promise((resolve) => {
        const f = document.createElement('iframe');
        f.onload = resolve;
        f.src = api + '/health?frame=' + Math.random();
        document.body.append(f);
    });
    return { roundTrip, frame: performance.now() - t };
}"""

# The chat asked for (the launcher's click) -> the chat ready (its script has run and said so): 0 when the
# iframe, loaded while the pointer approached the launcher, was ready before the click.
OPENED = """async () => {
    while (!performance.getEntriesByName('coachtwin:chat-ready').length) await new Promise((r) => setTimeout(r, 5));
    const at = (n) => performance.getEntriesByName(n)[0].startTime;
    return Math.max(0, at('coachtwin:chat-ready') - at('coachtwin:open'));
}"""

MEASURE = """async () => {
    const deadline = Date.now() + 20000;
    while (!performance.getEntriesByName('coachtwin:launcher').length) {
        if (Date.now() > deadline) throw new Error('no launcher');
        await new Promise((r) => setTimeout(r, 5));
    }
    const mark = performance.getEntriesByName('coachtwin:launcher')[0].startTime;
    const script = performance.getEntriesByType('resource').find((e) => e.name.endsWith('/widget.js'));
    return { script: mark - script.startTime, page: mark, cached: script.transferSize === 0 };
}"""


def browser_phase(api_url: str, key: str, site: HostSite) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    from e2e.conftest import CHROMIUM, CHROMIUM_ARGS

    cold: dict[str, list[float]] = {"script": [], "page": [], "open": []}
    warm: dict[str, list[float]] = {"script": [], "page": []}
    floor: dict[str, list[float]] = {"round_trip": [], "frame": []}
    with sync_playwright() as p:
        snippet = f'<script src="{api_url}/widget.js" data-key="{key}" async></script>'
        url = site.put("/bench.html", f"<!doctype html><html lang=en><title>Bench</title><body><p>Site</p>{snippet}")
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for i in range(RUNS + 1):
                context = browser.new_context(viewport={"width": 1366, "height": 768})
                page = context.new_page()
                page.goto(url)
                first = page.evaluate(MEASURE)
                page.get_by_role("button", name="Chat: Bench Studio").click()
                page.frame_locator("iframe[title^='Chat with']").get_by_role("textbox").wait_for()
                opened = page.evaluate(OPENED)
                page.goto(url)  # a second page of the same site: the loader comes from the cache
                second = page.evaluate(MEASURE)
                floors = page.evaluate(FLOORS, api_url)
                context.close()
                if i == 0:
                    continue  # the first run warms the API's own caches
                cold["script"].append(first["script"])
                cold["page"].append(first["page"])
                cold["open"].append(opened)
                warm["script"].append(second["script"])
                warm["page"].append(second["page"])
                floor["round_trip"].append(floors["roundTrip"])
                floor["frame"].append(floors["frame"])
        finally:
            browser.close()
    return {
        "cold": {k: _stats(v) for k, v in cold.items()},
        "warm": {k: _stats(v) for k, v in warm.items()},
        "floor": {k: _stats(v) for k, v in floor.items()},
    }


def run(options: Any) -> dict[str, Any]:
    import redis

    from e2e.hostpages import host_site
    from tests.bench import serving
    from tests.bench.api_bench import api_env, free_port
    from tests.fixtures import database

    result: dict[str, Any] = {"sizes": sizes()}
    admin, app = database.build_and_use(DB_NAME)
    redis_url = os.environ.get("BENCH_WIDGET_REDIS_URL", "redis://127.0.0.1:6379/15")
    redis.Redis.from_url(redis_url).flushdb()
    env = api_env(app, admin, redis_url, {"WIDGET_LIMIT_PER_IP": "1000000", "WIDGET_LIMIT_PER_KEY": "1000000"})
    port = free_port()
    api_url = f"http://127.0.0.1:{port}"
    result["load_before"] = round(os.getloadavg()[0], 2)
    with serving.serve(serving.granian_command("backend.asgi:app", port), port, env, "/health"), host_site() as site:
        key = _workspace(api_url, site.origin, env)  # the site (another loopback port) is the one allowed origin
        result["browser"] = browser_phase(api_url, key, site)
    result["load_after"] = round(os.getloadavg()[0], 2)
    result["runs"] = RUNS
    return result


def report(result: dict[str, Any]) -> str:
    s = result["sizes"]
    b = result["browser"]

    def row(label: str, d: dict[str, Any]) -> str:
        return f"| {label} | {d['n']} | {d['p50_ms']} | {d['p95_ms']} | {d['max_ms']} |"

    return "\n".join(
        [
            f"Loader `/widget.js`: **{s['loader_gzip_bytes']:,} bytes gzip** ({s['loader_bytes']:,} raw). Chat UI "
            f"(page, styles, {s['chat_ui_files'] - 2} modules): **{s['chat_ui_gzip_bytes']:,} bytes gzip** "
            f"({s['chat_ui_bytes']:,} raw); the companion page adds {s['companion_extra_gzip_bytes']:,} bytes gzip.",
            "",
            "| in Chromium, host page on another origin | n | p50 ms | p95 ms | max ms |",
            "| --- | ---: | ---: | ---: | ---: |",
            row("script fetch -> launcher drawn, first visit", b["cold"]["script"]),
            row("navigation -> launcher drawn, first visit", b["cold"]["page"]),
            row("script fetch -> launcher drawn, loader cached", b["warm"]["script"]),
            row("navigation -> launcher drawn, loader cached", b["warm"]["page"]),
            row("click on the launcher -> chat ready (iframe loaded on the pointer's approach)", b["cold"]["open"]),
            row("floor: one round trip to the API (`GET /health`)", b["floor"]["round_trip"]),
            row("floor: an iframe of an empty API page loaded", b["floor"]["frame"]),
            "",
            f"Load average (1 min) before / after: {result['load_before']} / {result['load_after']}.",
        ]
    )
