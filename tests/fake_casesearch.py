"""`casesearch` with the tests' fake models registered, for tests that run real processes
(`python tests/fake_casesearch.py corpus add …`, `… serve`): the same code paths as the real
command, with embeddings computed in microseconds."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from service.cli.main import main  # noqa: E402
from tests.conftest import register_fakes  # noqa: E402

register_fakes()

if __name__ == "__main__":
    main()
