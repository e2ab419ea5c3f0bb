"""`casesearch` with the tests' fake models registered, for tests that run real processes
(`python tests/fake_casesearch.py corpus add …`, `… serve`, and the builds a server starts in
the background): the same code paths as the real command, with embeddings computed in
microseconds."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from service.cli.main import main  # noqa: E402
from service.runtime.jobs import use_cli_command  # noqa: E402
from tests.conftest import register_fakes  # noqa: E402

register_fakes()
use_cli_command([sys.executable, str(Path(__file__).resolve())])  # background builds too

if __name__ == "__main__":
    main()
