"""The README's commands are the ones CI runs."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_ci_runs_the_readme_install_and_test_commands():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    install = next(line for line in ci if "pip install" in line)
    test = ci[-1]
    quick_start = readme.split("## ")[1]  # the first section
    assert install in quick_start and test in quick_start
