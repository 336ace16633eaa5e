"""A creator builds a small program on the canvas by drag and drop, fixes what validation marks, publishes
it, simulates it and reads the transcript, then enrolls a member; undo, auto layout and export work."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
from playwright.sync_api import Locator, Page, expect

from e2e.conftest import Servers, new_creator, register, shot, sign_in, token_for


def node(page: Page, node_id: str) -> Locator:
    return page.locator(f"[data-testid=canvas-node][data-node-id='{node_id}']")


def drop(page: Page, kind: str, x: int, y: int) -> None:
    """Drag a step from the palette onto the canvas at (x, y) inside the canvas."""
    canvas = page.get_by_test_id("program-canvas")
    page.get_by_test_id(f"palette-{kind}").drag_to(canvas, target_position={"x": x, "y": y})


def connect(page: Page, source: str, target: str, branch: str = "next") -> None:
    """Drag from a step's exit (bottom dot) to the next step's entry (top dot)."""
    start = node(page, source).locator(f"[data-testid=source-handle][data-branch='{branch}']").bounding_box()
    end = node(page, target).locator(".react-flow__handle-top").bounding_box()
    assert start and end
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
    page.mouse.down()
    page.mouse.move(end["x"] + end["width"] / 2, end["y"] + end["height"] / 2, steps=12)
    page.mouse.up()


def edit(page: Page, field: str, value: str) -> None:
    box = page.get_by_test_id(f"field-{field}")
    box.fill(value)
    box.blur()


def test_build_publish_simulate_enroll(page: Page, api: httpx.Client, servers: Servers) -> None:
    creator = new_creator("coach")
    register(api, creator)
    sign_in(page, creator)
    expect(page.get_by_role("heading", level=1)).to_have_text("Home")
    page.get_by_test_id("nav-programs").click()
    expect(page.get_by_test_id("empty-state")).to_be_visible()
    page.get_by_test_id("new-program-name").fill("Evening reflection")
    page.get_by_test_id("new-program-submit").click()
    expect(page).to_have_url(re.compile(r"/programs/[0-9a-f-]{36}$"))
    expect(page.get_by_test_id("program-name")).to_have_value("Evening reflection")
    expect(page.get_by_test_id("canvas-node")).to_have_count(2)  # a new program: start -> end

    # Steps from the palette; each opens in the side panel once dropped.
    drop(page, "message", 520, 120)
    expect(node(page, "message_1")).to_be_visible()
    edit(page, "text", "Good evening, {{first_name}}. Look back on the day with me.")
    expect(node(page, "message_1")).to_contain_text("Good evening")
    drop(page, "checkin", 520, 260)
    expect(node(page, "checkin_1")).to_be_visible()
    edit(page, "question", "Did you keep your intention today?")
    page.get_by_test_id("field-kind").click()
    page.get_by_role("option", name="yes_no").click()
    edit(page, "window_minutes", "")
    expect(page.get_by_test_id("canvas-node")).to_have_count(4)
    expect(page.get_by_test_id("dirty")).to_be_visible()

    # A stray step: the Delete key removes it, undo brings it back, the panel's button removes it again.
    drop(page, "goal", 520, 400)
    expect(node(page, "goal_1")).to_be_visible()
    node(page, "goal_1").click()
    page.keyboard.press("Delete")
    expect(node(page, "goal_1")).to_have_count(0)
    page.get_by_test_id("undo").click()
    expect(node(page, "goal_1")).to_be_visible()
    node(page, "goal_1").click()
    page.get_by_test_id("delete-node").click()
    expect(page.get_by_test_id("canvas-node")).to_have_count(4)

    # Validation marks the unconnected steps on the canvas.
    page.get_by_test_id("save").click()
    expect(page.get_by_test_id("issue").first).to_be_visible()
    expect(page.locator(".react-flow__node.ct-problem").first).to_be_visible()
    shot(page, "program-problems")

    page.locator(".react-flow__pane").click(position={"x": 420, "y": 12})
    connect(page, "start", "message_1")  # replaces the new program's start -> end
    connect(page, "message_1", "checkin_1")
    connect(page, "checkin_1", "end")
    expect(page.locator(".react-flow__edge")).to_have_count(3)

    # Undo takes back the last connection, redo restores it.
    page.get_by_test_id("undo").click()
    expect(page.locator(".react-flow__edge")).to_have_count(2)
    page.get_by_test_id("redo").click()
    expect(page.locator(".react-flow__edge")).to_have_count(3)
    page.get_by_test_id("auto-layout").click()

    page.get_by_test_id("save").click()
    expect(page.get_by_text("No problems found", exact=False).first).to_be_visible()
    expect(page.locator(".react-flow__node.ct-problem")).to_have_count(0)
    page.get_by_test_id("publish").click()
    expect(page.get_by_test_id("program-status")).to_have_text("published v1")
    shot(page, "program-builder")

    # Simulate with a scripted answer and read the transcript; the path lights up on the canvas.
    page.get_by_role("radio", name="Simulate").click()
    page.get_by_test_id("sim-answer").fill("yes")
    page.get_by_test_id("simulate-run").click()
    expect(page.get_by_test_id("sim-status")).to_have_text("completed")
    lines = page.get_by_test_id("transcript-line")
    expect(lines.filter(has_text="Good evening, Test. Look back on the day with me.")).to_have_count(1)
    expect(lines.filter(has_text="Did you keep your intention today?")).to_have_count(1)
    expect(lines.filter(has_text="yes")).not_to_have_count(0)
    expect(page.locator(".react-flow__node.ct-visited")).to_have_count(4)
    shot(page, "program-simulation")

    # Enroll a member: the welcome is sent at once and the check-in waits for their answer.
    page.get_by_role("radio", name="Enrollments").click()
    page.get_by_label("Email or id").fill("ana@example.com")
    page.get_by_role("textbox", name="Name", exact=True).fill("Ana Lima")
    page.get_by_role("button", name="Add member").click()
    page.get_by_role("button", name="Enroll", exact=True).click()
    card = page.get_by_role("group", name="Ana Lima")
    expect(card).to_have_count(1)
    expect(card).to_contain_text("active")
    # The step by what it says, not its node id.
    expect(card).to_contain_text("at 'Did you keep your intention today?'")
    expect(card).not_to_contain_text("checkin_1")
    card.get_by_role("button", name="Pause Ana Lima").click()
    expect(card).to_contain_text("paused")
    card.get_by_role("button", name="Resume Ana Lima").click()
    expect(card.get_by_role("button", name="Pause Ana Lima")).to_be_visible()

    # The member's conversation holds the welcome, with their name filled in.
    headers = {"Authorization": f"Bearer {token_for(api, creator)}"}
    program_id = page.url.rsplit("/", 1)[1]
    enrollments = api.get(f"/api/v1/programs/{program_id}/enrollments", headers=headers).json()
    assert [(e["current_node"], e["waiting"]) for e in enrollments] == [("checkin_1", "answer")], enrollments
    conversations = api.get("/api/v1/conversations", params={"kind": "member"}, headers=headers).json()
    assert len(conversations) == 1, conversations
    thread = api.get(f"/api/v1/conversations/{conversations[0]['id']}", headers=headers).json()
    said = [m["content"] for m in thread["messages"] if m["role"] == "assistant"]
    assert said == [
        "Good evening, Ana. Look back on the day with me.",
        "Did you keep your intention today? (yes/no)",
    ], said

    # Export downloads the program as JSON that imports again.
    with page.expect_download() as download:
        page.get_by_test_id("export").click()
    exported = json.loads(Path(download.value.path()).read_text())
    assert exported["name"] == "Evening reflection"
    assert len(exported["graph"]["nodes"]) == 4


def test_templates_and_import(page: Page, api: httpx.Client, servers: Servers, tmp_path: Path) -> None:
    creator = new_creator("coach")
    register(api, creator)
    sign_in(page, creator)
    expect(page.get_by_role("heading", level=1)).to_have_text("Home")
    page.goto("/programs")
    page.get_by_test_id("use-template-stoic-morning").click()
    expect(page).to_have_url(re.compile(r"/programs/[0-9a-f-]{36}$"))
    expect(page.get_by_test_id("program-name")).to_have_value("Stoic morning")
    expect(page.get_by_test_id("canvas-node").first).to_be_visible()
    page.get_by_test_id("save").click()
    expect(page.get_by_text("No problems found", exact=False).first).to_be_visible()

    # An exported program imports as a new draft; a file that is not an export is refused with a reason.
    headers = {"Authorization": f"Bearer {token_for(api, creator)}"}
    exported = api.get(f"/api/v1/programs/{page.url.rsplit('/', 1)[1]}/export", headers=headers).json()
    exported["name"] = "Stoic morning (copy)"
    good, bad = tmp_path / "copy.json", tmp_path / "broken.json"
    good.write_text(json.dumps(exported))
    bad.write_text("{not json")
    page.goto("/programs")
    expect(page.get_by_test_id("program-row")).to_have_count(1)
    page.get_by_test_id("program-import").locator("input[type=file]").set_input_files(str(bad))
    expect(page.get_by_test_id("error")).to_contain_text("not a program export")
    page.get_by_test_id("program-import").locator("input[type=file]").set_input_files(str(good))
    expect(page.get_by_test_id("program-name")).to_have_value("Stoic morning (copy)")
    page.goto("/programs")
    expect(page.get_by_test_id("program-row")).to_have_count(2)
