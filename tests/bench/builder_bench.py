"""Program builder with a 200-node program: time to interactive and responsiveness in a real browser.

Starts the API and the built hub (e2e/servers.py), creates a valid 200-node program through the API, then
in Debian's Chromium, signed in, loads the builder several times and measures:
- drawn: navigation start -> the canvas shows the program (fitted to the view; a 200-node program is
  ~200 layers tall, so React Flow draws the nodes in view and the rest as the creator pans);
- interactive: navigation start -> a click on a node has opened it in the side panel (a full round trip
  through the hub's state: the page is usable, not just painted);
- select, auto layout and save + validate latencies, and the frame rate while panning the canvas.
"""

from __future__ import annotations

import statistics
import time
import uuid
from typing import Any

NAME = "builder"
TITLE = "Program builder: 200-node program in the browser"
NODES = 200


def big_program(blocks: int) -> dict[str, Any]:
    """start -> `blocks` days of (message, scale check-in, condition low/else, two replies, wait 07:00) -> end."""
    from frontend.pages.programs.editing import auto_layout

    nodes: list[dict[str, Any]] = [{"id": "start", "type": "start", "position": {"x": 0, "y": 0}, "data": {}}]
    edges: list[dict[str, Any]] = []

    def add(node_id: str, type_: str, **data: Any) -> str:
        nodes.append({"id": node_id, "type": type_, "position": {"x": 0, "y": 0}, "data": data})
        return node_id

    def link(source: str, target: str, branch: str | None = None) -> None:
        edge = {"id": f"e-{source}-{target}-{branch or ''}", "source": source, "target": target}
        if branch:
            edge |= {"sourceHandle": branch, "label": branch}
        edges.append(edge)

    previous = "start"
    for d in range(1, blocks + 1):
        msg = add(f"day{d}", "message", text=f"Day {d}, {{{{first_name}}}}: one thing in your control today?")
        ask = add(f"ask{d}", "checkin", question="How calm do you feel?", kind="scale", min=1, max=5,
                  window_minutes=600)  # fmt: skip
        split = add(f"split{d}", "condition", source="answer", node=ask,
                    rules=[{"label": "low", "op": "lte", "value": 2}])  # fmt: skip
        low = add(f"low{d}", "message", text="Breathe. What would the wise person do now?")
        good = add(f"good{d}", "message", text="Good. Keep that calm for the evening.")
        wait = add(f"wait{d}", "wait", until="07:00")
        link(previous, msg)
        link(msg, ask)
        link(ask, split)
        link(ask, wait, "timeout")
        link(split, low, "low")
        link(split, good, "else")
        link(low, wait)
        link(good, wait)
        previous = wait
    link(previous, add("end", "end"))
    return auto_layout({"nodes": nodes, "edges": edges})


def _setup(api_url: str, mail: Any) -> tuple[str, str, str, str]:
    import httpx

    from tests.bench.accounts import sign_up

    tag = uuid.uuid4().hex[:8]
    email, password = f"bench-{tag}@example.com", "correct-horse-battery"
    graph = big_program((NODES - 2) // 6)
    with httpx.Client(base_url=api_url, timeout=60) as api:
        sign_up(api_url, email, password, "Bench Coach", sink=mail)
        token = api.post("/api/v1/auth/login", json={"email": email, "password": password}).json()["access_token"]
        created = api.post(
            "/api/v1/programs/",
            json={"name": "Big program", "graph": graph},
            headers={"Authorization": f"Bearer {token}"},
        )
        created.raise_for_status()
        program = created.json()
    if program["issues"]:
        raise RuntimeError(f"the generated program is invalid: {program['issues'][:3]}")
    return email, password, str(program["id"]), str(len(graph["nodes"]))


_FRAMES = """() => new Promise((resolve) => {
  let frames = 0; const t0 = performance.now();
  const tick = () => { frames++; if (performance.now() - t0 < 1000) requestAnimationFrame(tick);
                       else resolve(frames * 1000 / (performance.now() - t0)); };
  requestAnimationFrame(tick);
})"""


_DRAWN = """() => { const n = document.querySelectorAll('[data-testid=canvas-node]').length;
  const ok = n > 0 && n === window.__ctNodes; window.__ctNodes = n; return ok; }"""


def _measure(page: Any, hub_url: str, program_id: str) -> dict[str, float]:
    page.goto(f"{hub_url}/programs/{program_id}")
    page.wait_for_function(_DRAWN, polling="raf", timeout=60_000)  # nodes in view, stable for a frame
    drawn = float(page.evaluate("performance.now()"))
    shown = page.locator("[data-testid=canvas-node]")
    first, second = (str(shown.nth(i).get_attribute("data-node-id")) for i in (0, 1))
    shown.nth(0).click()
    page.locator("[data-testid=node-panel]", has_text=first).wait_for(timeout=30_000)
    interactive = float(page.evaluate("performance.now()"))

    t = time.perf_counter()
    shown.nth(1).click()
    page.locator("[data-testid=node-panel]", has_text=second).wait_for(timeout=30_000)
    select = (time.perf_counter() - t) * 1000

    t = time.perf_counter()
    page.get_by_test_id("auto-layout").click()
    page.get_by_test_id("dirty").wait_for(timeout=30_000)
    page.evaluate("() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))")
    layout = (time.perf_counter() - t) * 1000

    t = time.perf_counter()
    page.get_by_test_id("save").click()
    page.get_by_text("Saved.", exact=False).first.wait_for(timeout=60_000)
    save = (time.perf_counter() - t) * 1000

    box = page.get_by_test_id("program-canvas").bounding_box()
    assert box is not None
    frames = page.evaluate_handle(_FRAMES)  # count frames while the canvas is panned for about a second
    x, y = box["x"] + box["width"] * 0.6, box["y"] + box["height"] * 0.15
    page.mouse.move(x, y)
    page.mouse.down()
    for i in range(40):
        page.mouse.move(x - i * 5, y + i * 3)
        page.wait_for_timeout(20)
    page.mouse.up()
    fps = float(frames.json_value())
    return {"drawn_ms": drawn, "interactive_ms": interactive, "select_ms": select, "layout_ms": layout,
            "save_ms": save, "pan_fps": fps}  # fmt: skip


def run(options: Any) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    from e2e.conftest import CHROMIUM, CHROMIUM_ARGS
    from e2e.servers import running_servers

    loads = 2 if options.quick else 5
    with running_servers() as servers:
        email, password, program_id, count = _setup(servers.api_url, servers.mail)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
            page.goto(f"{servers.hub_url}/login")
            page.locator("input[name=email]").fill(email)
            page.locator("input[name=password]").fill(password)
            page.get_by_test_id("sign-in-submit").click()
            page.get_by_test_id("page-title").wait_for(timeout=60_000)
            _measure(page, servers.hub_url, program_id)  # warm-up: browser caches
            runs = [_measure(page, servers.hub_url, program_id) for _ in range(loads)]
            browser.close()
    figures = {k: round(statistics.median(r[k] for r in runs), 1) for k in runs[0]}
    return {"nodes": int(count), "loads": loads, "median": figures, "runs": runs}


def report(result: dict[str, Any]) -> str:
    m = result["median"]
    rows = [
        ("Nodes in the program", f"{result['nodes']}"),
        ("Drawn (navigation -> the program on the canvas)", f"{m['drawn_ms']:.0f} ms"),
        ("**Time to interactive** (navigation -> a clicked node open in the panel)", f"{m['interactive_ms']:.0f} ms"),
        ("Select a node -> panel shows it", f"{m['select_ms']:.0f} ms"),
        ("Auto layout of all nodes", f"{m['layout_ms']:.0f} ms"),
        ("Save + server validation", f"{m['save_ms']:.0f} ms"),
        ("Frame rate while panning", f"{m['pan_fps']:.0f} fps"),
    ]
    lines = [f"Median of {result['loads']} loads after one warm-up, Debian Chromium headless.", "",
             "| Figure | Value |", "|---|---|", *[f"| {a} | {b} |" for a, b in rows]]  # fmt: skip
    return "\n".join(lines)
