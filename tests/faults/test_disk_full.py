"""A full disk while writing the window cache or a checkpoint: one clear error, nothing corrupt.

The limit is real, not mocked: the command runs as a subprocess under RLIMIT_FSIZE (a file
may not grow past it, as on a disk with that much space left), or writes to a 1 MB tmpfs
that fills up for real (where this machine allows mounting one).
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from har.data.dataset import load_windows

pytestmark = pytest.mark.faults

SCRIPTS = Path(sys.executable).parent
LIMIT = 128 * 1024  # above config.yaml and data.json, below a checkpoint (~250 kB) or a cache


def _run(script: str, *args: str, cwd: Path, file_size_limit: int | None = None):
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (file_size_limit, file_size_limit))

    return subprocess.run(
        [str(SCRIPTS / script), *args],
        cwd=cwd,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": os.pathsep.join(sys.path)},
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=limit if file_size_limit else None,
    )


def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def _assert_one_clear_line(result, path_part: str, reason: str) -> None:
    assert result.returncode == 2, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: ") and path_part in last and reason in last, last
    assert "nothing partial was left" in last


def test_cache_write_on_a_full_disk(tmp_path):
    cache = tmp_path / "cache"
    result = _run("har-data", f"paths.cache_dir={cache}", cwd=tmp_path, file_size_limit=LIMIT)
    _assert_one_clear_line(result, str(cache / "windows" / "watch-"), "File too large")
    assert _files(cache) == []  # no cache entry, not even a hidden temporary file
    again = _run("har-data", f"paths.cache_dir={cache}", cwd=tmp_path)  # space again: it works
    assert again.returncode == 0 and len(_files(cache)) == 1


@pytest.fixture
def tiny_tmpfs(tmp_path):
    """A 1 MB tmpfs, or skip where mounting is not allowed (not root, no CAP_SYS_ADMIN)."""
    folder = tmp_path / "tiny"
    folder.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(folder)], capture_output=True, text=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({mounted.stderr.strip()}); RLIMIT_FSIZE tests cover it")
    yield folder
    subprocess.run(["umount", str(folder)], check=True)


def test_cache_write_on_a_disk_that_really_fills_up(tmp_path, tiny_tmpfs):
    result = _run("har-data", f"paths.cache_dir={tiny_tmpfs}", cwd=tmp_path)
    _assert_one_clear_line(result, str(tiny_tmpfs / "windows" / "watch-"), "No space left on device")
    assert _files(tiny_tmpfs) == []


@pytest.mark.slow
def test_checkpoint_write_on_a_full_disk(tmp_path, compose_train, session_cache):
    load_windows(compose_train().data)  # the window cache exists: the first big write is the checkpoint
    run_dir = tmp_path / "run"
    result = _run(
        "har-train",
        f"paths.root={tmp_path}",
        f"paths.output_dir={run_dir}",
        f"paths.cache_dir={session_cache}",
        "logger=none",
        "trainer.epochs=1",
        "data.train_fraction=0.1",
        "model.build.width=8",
        "model.build.dense_units=16",
        cwd=tmp_path,
        file_size_limit=LIMIT,
    )
    _assert_one_clear_line(result, str(run_dir / "best.keras"), "File too large")
    written = _files(run_dir)
    assert "best.keras" not in written and "metrics.json" not in written
    assert not [name for name in written if ".tmp" in name]  # the half checkpoint was removed
