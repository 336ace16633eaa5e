"""Accessibility checks with axe-core (npm, installed into .tools/ by `just setup`), injected into a page or
one of its frames. The script runs through Playwright's evaluation channel, so the page's own
Content-Security-Policy (script-src 'self') does not stop it."""

from __future__ import annotations

from functools import cache
from typing import Any

from playwright.sync_api import Frame, Page

from e2e.servers import AXE_JS as AXE

BLOCKING = ("serious", "critical")


@cache
def _source() -> str:
    if not AXE.exists():
        raise FileNotFoundError(f"{AXE} is missing: run `.venv/bin/just setup` (it installs axe-core from npm)")
    return AXE.read_text()


def violations(target: Page | Frame, impacts: tuple[str, ...] = BLOCKING) -> list[dict[str, Any]]:
    """axe's violations of these impacts on the page (or frame) as it is now: [{id, impact, help, nodes}]."""
    if not target.evaluate("() => typeof window.axe === 'object'"):
        target.evaluate(_source())
    found: list[dict[str, Any]] = target.evaluate(
        """async (impacts) => {
            const r = await axe.run(document, { resultTypes: ['violations'] });
            return r.violations.filter(v => impacts.includes(v.impact)).map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' :: ' + n.failureSummary) }));
        }""",
        list(impacts),
    )
    return found


def describe(where: str, found: list[dict[str, Any]]) -> str:
    return f"axe found serious/critical problems on {where}:\n" + "\n".join(
        f"- {v['id']} ({v['impact']}): {v['help']}\n    " + "\n    ".join(v["nodes"]) for v in found
    )


def assert_accessible(target: Page | Frame, where: str) -> None:
    found = violations(target)
    assert not found, describe(where, found)


def landmarks(page: Page) -> list[str]:
    """What a keyboard or screen-reader user needs on every hub page: one main landmark and a skip link to it."""
    problems = []
    if page.locator("main").count() != 1:
        problems.append(f"expected one <main>, found {page.locator('main').count()}")
    if page.get_by_role("link", name="Skip to content").count() != 1:
        problems.append("no 'Skip to content' link")
    return problems
