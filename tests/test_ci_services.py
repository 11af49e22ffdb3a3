"""The services CI starts: a PostgreSQL test fails, not skips, when its server was expected."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_TEST = "tests/sweep/test_sweep.py::test_two_workers_on_postgresql"


def _pytest(test: str, **environment: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "HAR_TEST_POSTGRES_URL")}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rfEs", test],
        cwd=ROOT,
        env={**env, **environment},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_a_configured_postgres_url_that_does_not_answer_fails():
    nowhere = "postgresql+psycopg2://har:har@127.0.0.1:9/har"  # port 9 (discard): nothing listens
    result = _pytest(POSTGRES_TEST, HAR_TEST_POSTGRES_URL=nowhere)
    assert result.returncode == 1, result.stdout[-2000:]
    assert "1 error" in result.stdout and "skipped" not in result.stdout
    assert "PostgreSQL at 127.0.0.1:9/har (OperationalError) cannot be reached" in result.stdout
    assert "HAR_TEST_POSTGRES_URL is set" in result.stdout
