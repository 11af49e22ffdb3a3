"""experiments/benchmarks/gpu_check.py, its dry-run path: placement checked with a fake nvidia-smi."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "experiments" / "benchmarks" / "gpu_check.py"


def _gpu_check(tmp_path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.mark.slow  # starts worker processes
def test_dry_run_checks_that_every_gpu_took_trials(tmp_path, fake_nvidia_smi):
    fake_nvidia_smi(count=2)
    result = _gpu_check(tmp_path, "--dry-run", "--trials-per-worker", "2", "--seconds", "0.3")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "GPUs: 0, 1; packing:" in result.stdout
    for name in ("one worker", "one per GPU", "packed (auto)"):
        assert f"{name:<14}" in result.stdout and "trials/min" in result.stdout
    assert "every GPU trained trials: gpu:0, gpu:1" in result.stdout


def test_without_a_gpu_it_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no nvidia-smi
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    result = _gpu_check(tmp_path, "--dry-run")
    assert result.returncode == 2 and "no GPU found" in result.stderr
