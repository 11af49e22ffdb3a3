"""Own recordings end to end: docs/own-recordings.md run as written, and an accelerometer-only folder.

Both folders are real files written here from the `watch` recordings (real smartwatch data),
re-expressed as a phone app would export them: its own column names, milliseconds with clock
jitter, acceleration in m/s^2.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from har.config import compose
from har.data.channels import STANDARD_GRAVITY
from har.data.sources.watch import WatchSource

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
PEOPLE = {"1": "anna", "2": "ben", "3": "carl", "4": "dora", "5": "emil", "6": "fay"}
CLASSES = 3  # the first three exercises keep the runs short
APP_COLUMNS = ["acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z"]


def phone_export(folder: Path, *, accelerometer_only: bool = False) -> Path:
    """Watch recordings of six subjects as a phone app's export; anna is declared test."""
    recordings = WatchSource().load()
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True)
    rows, counts = [], {}
    for recording in recordings.recordings:
        label = int(recording.labels[0])
        if recording.subject not in PEOPLE or label >= CLASSES:
            continue
        person = PEOPLE[recording.subject]
        counts[person] = counts.get(person, 0) + 1
        stem = f"{person}_{counts[person]:02d}"
        steps = 20 + rng.integers(-1, 2, len(recording.signals))  # 50 Hz, a jittery millisecond clock
        frame = pd.DataFrame({"time_ms": np.concatenate([[0], np.cumsum(steps[1:])])})
        signals = recording.signals.astype(np.float64)
        for number, column in enumerate(APP_COLUMNS[: 3 if accelerometer_only else 6]):
            frame[column] = signals[:, number] * (STANDARD_GRAVITY if number < 3 else 1.0)
        frame["activity"] = recordings.class_names[label]
        frame.to_csv(folder / f"{stem}.csv", index=False)
        rows.append(f"{stem},{person},{'test' if person == 'anna' else ''}")
    (folder / "sessions.csv").write_text("session,subject,split\n" + "\n".join(rows) + "\n")
    return folder


def own_recordings_page() -> str:
    return (ROOT / "docs" / "own-recordings.md").read_text()  # "Your own recordings in 5 minutes"


def test_the_own_recordings_page_from_a_phone_export_to_a_tracked_model(tmp_path):
    page = own_recordings_page()
    phone_export(tmp_path / "my_phone")
    for block in re.findall(r"```yaml\n(.*?)```", page, re.S):
        name = block.splitlines()[0].removeprefix("# ")  # my_conf/data/phone.yaml
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(block)
    commands = re.search(r"\*\*3\. Check, train, export, track:\*\*\n\n```bash\n(.*?)```", page, re.S)
    faster = {  # the page's commands, with tiny training and export settings
        "har-data": "",
        "har-train": "trainer.epochs=2 model.build.width=8 model.build.dense_units=16 logger=none",
        "har-export": "variants=[float32,float16] latency.invocations=20 latency.warmup=2 logger=none "
        "guard.max_accuracy_drop=100",
        "har-track": "print_events=false",
    }
    env = {**os.environ, "PATH": f"{Path(os.sys.executable).parent}:{os.environ['PATH']}", "COLUMNS": "200"}
    outputs = {}
    for line in commands.group(1).strip().splitlines():
        command = line.split()[0]
        result = subprocess.run(
            ["bash", "-c", f"{line} {faster[command]}"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
        )
        assert result.returncode == 0, f"{line}\n{result.stderr[-3000:]}"
        outputs[command] = result.stdout + result.stderr

    assert "anna_01.csv" in outputs["har-data"] and "test (declared)" in outputs["har-data"]
    assert "50 Hz" in outputs["har-data"]  # the rate found from a jittery millisecond clock
    (run,) = (tmp_path / "outputs" / "runs").iterdir()
    assert run.name.endswith("_csv-my_phone")
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["subjects"]["test"] == ["anna"] and "classes present" in metrics["macro_f1_scope"]
    data = json.loads((run / "data.json").read_text())
    assert data["rate_hz"] == 50 and data["units"]["ax"] == "g" and data["units"]["gx"] == "rad/s"
    np.testing.assert_allclose(np.abs(data["normaliser"]["mean"][:3]).max(), 1.0, atol=0.6)  # in g, not m/s^2
    manifest = json.loads((tmp_path / "outputs" / "my_phone_bundle" / "manifest.json").read_text())
    assert manifest["channels"] == ["ax", "ay", "az", "gx", "gy", "gz"] and manifest["rate_hz"] == 50
    (track,) = (tmp_path / "outputs" / "track").iterdir()
    summary = json.loads((track / "summary.json").read_text())
    assert summary["stream"].endswith("ben_01.csv") and summary["windows"] > 10
    assert summary["interruptions"] == 0 and summary["window_macro_f1"] is not None


def test_an_accelerometer_only_folder_trains_with_light_augmentation_exports_and_tracks(tmp_path):
    from har.export.exporter import export
    from har.stream.cli import track
    from har.training.run import train

    folder = phone_export(tmp_path / "acc_only", accelerometer_only=True)
    columns = "{time_ms:t,acc_x:ax,acc_y:ay,acc_z:az,activity:label}"
    units = "{t:ms,ax:'m/s^2',ay:'m/s^2',az:m/s2}"  # ^ needs quotes in an override; m/s2 does not
    common = [f"paths.root={tmp_path}", "logger=none"]
    result = train(
        compose(
            "train",
            [
                *common,
                f"paths.output_dir={tmp_path / 'run'}",
                "data=csv",
                f"data.source.path={folder}",
                f"data.source.columns={columns}",
                f"data.source.units={units}",
                "data.channels=[ax,ay,az]",
                "augment=light",
                "trainer.epochs=2",
                "model.build.width=8",
                "model.build.dense_units=16",
            ],
        )
    )
    assert json.loads((result.run_dir / "data.json").read_text())["channels"] == ["ax", "ay", "az"]
    bundle = export(
        compose(
            "export",
            [
                *common,
                f"run_dir={result.run_dir}",
                f"paths.output_dir={tmp_path / 'export'}",
                "variants=[float32,float16]",
                "latency.invocations=20",
                "latency.warmup=2",
                "guard.max_accuracy_drop=100",
            ],
        )
    ).bundle
    manifest = json.loads((bundle / "manifest.json").read_text())
    assert manifest["channels"] == ["ax", "ay", "az"] and manifest["units"] == {
        c: "g" for c in ("ax", "ay", "az")
    }
    assert manifest["input"][0]["shape"] == [1, 100, 3]
    tracked = track(
        compose(
            "track",
            [
                f"paths.root={tmp_path}",
                f"paths.output_dir={tmp_path / 'track'}",
                f"bundle={bundle}",
                "stream=file",
                f"stream.path={folder / 'ben_01.csv'}",
                f"stream.columns={columns}",
                f"stream.units={units}",
                "decoder=viterbi",  # exercises are segments, not movements between idle stretches
                "events.idle=[]",
                "print_events=false",
            ],
        )
    )
    assert len(tracked.steps) > 10 and tracked.interruptions == 0
    assert (tmp_path / "track" / "session.png").is_file()
