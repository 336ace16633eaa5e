"""A creator's workspace ready for the widget suites: knowledge indexed, allowed origins set, an identity
secret made; and the host pages (a creator's site on another origin) that embed the widget."""

from __future__ import annotations

import hashlib
import hmac
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

from e2e.conftest import new_creator, register, token_for

NOTES = b"""# On anger

Anger is a brief madness. When anger rises, wait: delay is the best remedy for anger. Count to ten
before you answer, and the heat of the moment passes.

# On time

Life is long if you know how to use it. Guard your hours as you would guard your money, and
spend them on what you value most.
"""


@dataclass
class Coach:
    api: str
    token: str
    key: str
    secret: str
    full_name: str
    workspace: str
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def headers(self) -> dict[str, str]:
        return {"authorization": f"Bearer {self.token}"}

    def identity_hash(self, external_id: str) -> str:
        return hmac.new(self.secret.encode(), external_id.encode(), hashlib.sha256).hexdigest()

    def snippet(self) -> str:
        return f'<script src="{self.api}/widget.js" data-key="{self.key}" async></script>'


def make_coach(api: httpx.Client, allowed: list[str], workspace_name: str | None = None) -> Coach:
    """A new creator with the sample notes indexed and the widget allowed on `allowed` origins."""
    creator = new_creator("coach")
    if workspace_name:
        creator.workspace = workspace_name
    register(api, creator)
    token = token_for(api, creator)
    headers = {"authorization": f"Bearer {token}"}
    r = api.post("/api/v1/knowledge/documents", headers=headers, files={"file": ("stoic_notes.md", NOTES)}, data={})
    assert r.status_code in (201, 202), r.text
    doc_id = r.json()["id"]
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        status = api.get(f"/api/v1/knowledge/documents/{doc_id}", headers=headers).json()["status"]
        if status in ("ready", "failed"):
            break
        time.sleep(0.3)
    assert status == "ready", status
    r = api.put("/api/v1/channels/web", headers=headers, json={"allowed_origins": allowed,
                "starter_prompts": ["What is the best remedy for anger?", "How should I use my time?"],
                "welcome_message": "Welcome! Ask me about anger or time."})  # fmt: skip
    assert r.status_code == 200, r.text
    key = r.json()["public_key"]
    r = api.post("/api/v1/channels/web/identity-secret", headers=headers)
    assert r.status_code == 200, r.text
    return Coach(api=str(api.base_url).rstrip("/"), token=token, key=key, secret=r.json()["identity_secret"],
                 full_name=creator.name, workspace=creator.workspace)  # fmt: skip


def host_page(coach: Coach, title: str = "Acme Stoic Club", before: str = "") -> str:
    """A creator's site: its own content, then (optionally) settings and the snippet."""
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title>
<style>body {{ font-family: serif; color: #222; background: #fafafa; }} button {{ all: unset; }}</style>
</head><body><main><h1>{title}</h1><p>Our club's pages. The coach's twin is in the corner.</p></main>
<script>window.__events = [];
for (const n of ["ready", "open", "close", "message", "error"])
  window.addEventListener("coachtwin:" + n, (e) => window.__events.push([n, e.detail || null]));</script>
{before}
{coach.snippet()}
</body></html>"""


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"
