"""Entry points as a user runs them: installed console scripts, as subprocesses."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SCRIPTS = Path(sys.executable).parent  # the console scripts installed next to this Python


def _run(script: str, *args: str, cwd) -> subprocess.CompletedProcess:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.run(
        [str(SCRIPTS / script), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


def test_har_data_prints_the_summary(tmp_path, session_cache):
    result = _run("har-data", f"paths.cache_dir={session_cache}", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "140 recordings, 10 subjects, 7 classes" in result.stdout
    assert "9 10" in result.stdout
    assert not any(tmp_path.iterdir())  # a summary writes nothing where it runs


def test_har_data_bad_value_is_one_clear_line(tmp_path, session_cache):
    result = _run(
        "har-data", f"paths.cache_dir={session_cache}", "data.split.test_subjects=[99]", cwd=tmp_path
    )
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "error: data.split.test_subjects: subject(s) 99 not in the data (subjects: 1, 2, 3, 4, 5, 6, 7, 8, 9, 10)"
    )


def test_har_data_typo_in_a_key_names_it(tmp_path):
    result = _run("har-data", "data.windw_s=3", cwd=tmp_path)
    assert result.returncode != 0
    assert "windw_s" in result.stderr and "Traceback" not in result.stderr
