"""A `har-train` stopped mid-run: its history survives and its folder says it did not finish.

SIGTERM (and Ctrl-C) stop the run through Python, so its W&B run is finished with a failure
exit code instead of being left running; SIGKILL cannot be caught, and still leaves the
history up to the last finished epoch and the `unfinished.txt` marker.
"""

from __future__ import annotations

import csv
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from wandb_records import read_run

pytestmark = [pytest.mark.faults, pytest.mark.slow]

SCRIPTS = Path(sys.executable).parent


def _history(root: Path) -> list[dict[str, str]]:
    files = list(root.glob("runs/*/history.csv"))
    return list(csv.DictReader(files[0].open())) if files else []


@pytest.mark.parametrize("kind", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_a_killed_run_keeps_its_history_and_says_it_is_unfinished(tmp_path, session_cache, kind):
    process = subprocess.Popen(
        [
            str(SCRIPTS / "har-train"),
            f"paths.root={tmp_path}",
            f"paths.cache_dir={session_cache}",
            "trainer.epochs=40",
            "data.train_fraction=0.1",
            "model.build.width=8",
            "model.build.dense_units=16",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.time() + 300
    while len(_history(tmp_path)) < 2 and process.poll() is None and time.time() < deadline:
        time.sleep(0.2)
    rows_when_signalled = len(_history(tmp_path))
    process.send_signal(kind)
    stdout, stderr = process.communicate(timeout=300)
    said = (
        f"exit {process.returncode}, {rows_when_signalled} history rows when signalled; "
        f"stdout ends {stdout[-1500:]!r}; stderr ends {stderr[-1500:]!r}"
    )
    assert rows_when_signalled >= 2, said
    run_dir = next(tmp_path.glob("runs/*"))
    rows = _history(tmp_path)
    printed = [line for line in stdout.splitlines() if line.startswith("epoch ")]
    assert [int(row["epoch"]) for row in rows] == list(range(1, len(rows) + 1)), said
    assert len(printed) - 1 <= len(rows) <= len(printed), said  # killed between print and write?
    marker = (run_dir / "unfinished.txt").read_text()
    assert marker.startswith("This run has not finished: epoch ") and " of 40 done." in marker, said
    assert not (run_dir / "metrics.json").exists(), said
    # SIGTERM: wait (long, on a loaded machine) for the exit record; SIGKILL: none will come
    wait_s = 120 if kind == signal.SIGTERM else 3
    wandb_run = read_run(next((run_dir / "wandb").glob("offline-run-*")), wait_s=wait_s)["run"]
    if kind == signal.SIGTERM:
        assert process.returncode == 143, said
        assert stderr.strip().endswith(
            f"stopped: interrupted; what it wrote so far is in {run_dir}, unfinished"
        ), said
        assert wandb_run.get("exit_code") == 1, f"W&B run {wandb_run}; {said}"  # failed, not left running
    else:
        assert process.returncode == -signal.SIGKILL
        assert "exit_code" not in wandb_run  # SIGKILL: nothing in the process can finish it
