"""Accessibility checks of the browser suites: axe-core (the npm package, installed into .tools by
`.ci/setup.py`) injected into the page by Python Playwright, and the page's landmarks."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page

from e2e.servers import AXE_JS

BLOCKING = ("serious", "critical")


def violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's violations on the page as it is now (WCAG 2.1 A/AA and best practices), blocking ones only."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE_JS))
    found: list[dict[str, Any]] = page.evaluate(
        """async () => {
            const result = await window.axe.run(document, {resultTypes: ["violations"]});
            return result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 5).map(n => ({target: n.target.join(" "), summary: n.failureSummary})),
            }));
        }"""
    )
    return [v for v in found if v["impact"] in BLOCKING]


def describe(where: str, found: list[dict[str, Any]]) -> str:
    lines = []
    for v in found:
        lines.append(f"{where}: {v['impact']} {v['id']}: {v['help']}")
        lines += [f"    {n['target']}: {(n['summary'] or '').splitlines()[-1].strip()}" for n in v["nodes"]]
    return "\n".join(lines)


def landmarks(page: Page) -> list[str]:
    """What a keyboard or screen-reader user needs on every page: one main landmark and a skip link to it."""
    problems = []
    if page.locator("main").count() != 1:
        problems.append(f"expected one <main>, found {page.locator('main').count()}")
    if page.get_by_role("link", name="Skip to content").count() != 1:
        problems.append("no 'Skip to content' link")
    return problems
