"""Files the API asked about (the same content or name is already in the knowledge) wait here, on the hub's
disk, until the person says what to do: replace the earlier document, keep both, or skip. Never in the state:
a file can be 25 MB. Held files older than a day are swept."""

from __future__ import annotations

import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(tempfile.gettempdir()) / "coachtwin-hub-held"
MAX_AGE = 24 * 3600


def hold(content: bytes) -> str:
    """Keep `content`; the key to take it back."""
    ROOT.mkdir(parents=True, exist_ok=True)
    now = time.time()
    for old in ROOT.iterdir():
        if now - old.stat().st_mtime > MAX_AGE:
            old.unlink(missing_ok=True)
    key = uuid.uuid4().hex
    (ROOT / key).write_bytes(content)
    return key


def take(key: str) -> bytes | None:
    """The held content (then forgotten); None when it is gone."""
    path = ROOT / key
    if not key.isalnum() or not path.exists():
        return None
    content = path.read_bytes()
    path.unlink(missing_ok=True)
    return content


def drop(key: str) -> None:
    if key.isalnum():
        (ROOT / key).unlink(missing_ok=True)
