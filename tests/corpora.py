"""Where the sample creators' books are: `CORPORA_DIR`, else `shared/corpora` beside the repository (the
layout of our machines and CI). Tests, benches and e2e read them from here only."""

from __future__ import annotations

import os
from pathlib import Path

CORPORA = Path(os.environ.get("CORPORA_DIR") or Path(__file__).resolve().parents[2] / "shared" / "corpora")
