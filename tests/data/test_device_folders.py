"""Recordings as devices write them: one file per sensor with its own clock, sessions named by
folders (MetaMotion-style and Sensor Logger-style exports, generated)."""

from __future__ import annotations

import re
import shutil

import numpy as np
import pandas as pd
import pytest
from device_exports import (
    EPOCH_S,
    PHONE_ACTIVITIES,
    PUNCHES,
    metamotion_export,
    metamotion_session,
    sensor_logger_export,
    signal,
)

from har.config import instantiate
from har.data.dataset import load_windows
from har.data.recording import DataError
from har.data.sources.session_names import NamePattern
from har.data.windowing import resample


@pytest.fixture(scope="module")
def metamotion(tmp_path_factory):
    return metamotion_export(tmp_path_factory.mktemp("metamotion") / "export")


def _source(compose_train, name, folder, *overrides):
    cfg = compose_train(f"data={name}", f"data.source.path={folder}", *overrides)
    return cfg, instantiate(cfg.data.source, "data.source")


def _start_of(session_folder):
    """The first moment both sensor files cover (s, epoch)."""
    firsts = [pd.read_csv(p, usecols=[0]).iloc[0, 0] for p in sorted(session_folder.glob("*.csv"))]
    return max(firsts) / 1000


def test_a_metamotion_export_merges_to_the_generating_signal(compose_train, metamotion):
    _, source = _source(compose_train, "metamotion", metamotion)
    recordings = source.load()
    assert recordings.class_names == sorted(PUNCHES)
    assert len(recordings.recordings) == len(PUNCHES) * 4 * 2
    for recording in recordings.recordings[:6]:
        folder = metamotion / recording.name.split(str(metamotion) + "/")[1]
        label = PUNCHES.index(folder.parent.name)
        assert recording.rate_hz == 25.0
        start = _start_of(folder)
        t = start + np.arange(len(recording.signals)) / recording.rate_hz - _first_accel(folder)
        expected = signal(t, label)
        # linear interpolation of two jittery clocks, values written to 4 decimals
        np.testing.assert_allclose(recording.signals, expected, atol=0.03)
        assert (recording.labels == recordings.class_names.index(folder.parent.name)).all()


def _first_accel(folder):
    (accel,) = folder.glob("*Accelerometer*.csv")
    return pd.read_csv(accel, usecols=[0]).iloc[0, 0] / 1000


def test_names_give_subject_label_and_count_and_the_report_gives_the_alignment(compose_train, metamotion):
    _, source = _source(compose_train, "metamotion", metamotion)
    recordings = source.load()
    by_name = {r.name.rsplit("/", 1)[-1]: r for r in recordings.recordings}
    jab = next(r for name, r in by_name.items() if name.startswith("Left Jab 9 Ben_"))
    assert (jab.subject, jab.count) == ("Ben", 9)
    assert recordings.class_names[jab.labels[0]] == "Left Jab"
    report = next(s for s in recordings.sessions if s["session"].startswith("Left Jab/Left Jab 9 Ben_"))
    sensors = report["sensors"]
    assert sensors["accelerometer"]["offset_s"] == 0 and abs(sensors["gyroscope"]["offset_s"] - 0.123) < 0.002
    assert (
        abs(sensors["gyroscope"]["rate_found_hz"] - 25) < 0.5 and 11 < sensors["gyroscope"]["overlap_s"] < 12
    )
    assert report["count"] == 9
    assert resample(jab, 50.0).count == 9  # the loader's resampling keeps it


def _with_sessions_csv(compose_train, metamotion, tmp_path, header: str, cells: str):
    """A copy of the export whose sessions.csv has one row, about Anna's first jab session."""
    folder = tmp_path / "export"
    shutil.copytree(metamotion, folder)
    jab = next((folder / "Left Jab").glob("Left Jab 8 Anna_*")).name
    (folder / "sessions.csv").write_text(f"{header}\n{jab},{cells}\n")
    return jab, _source(compose_train, "metamotion", folder)[1]


def test_sessions_csv_overrides_the_names_per_session(compose_train, metamotion, tmp_path):
    jab, source = _with_sessions_csv(compose_train, metamotion, tmp_path, "session,subject,count", "Zoe,12")
    (recording,) = [r for r in source.load().recordings if r.name.endswith(jab)]
    assert (recording.subject, recording.count) == ("Zoe", 12)


def test_a_sensor_logger_export_reads_total_acceleration_in_g(compose_train, tmp_path):
    folder = sensor_logger_export(tmp_path / "phone")
    cfg, source = _source(compose_train, "sensor_logger", folder)
    recordings = source.load()
    assert recordings.class_names == sorted(PHONE_ACTIVITIES)
    assert {r.subject for r in recordings.recordings} == {"anna", "ben", "cleo"}
    for recording in recordings.recordings[:4]:
        session = folder / recording.name.split(str(folder) + "/")[1]
        label = PHONE_ACTIVITIES.index(session.parent.name)
        firsts = {p.stem: pd.read_csv(p, usecols=[0]).iloc[0, 0] / 1e9 for p in session.glob("*.csv")}
        start = max(firsts["TotalAcceleration"], firsts["Gyroscope"])
        t = start + np.arange(len(recording.signals)) / 50.0 - firsts["TotalAcceleration"]
        # z holds gravity (1 g): Accelerometer.csv, which leaves it out, was not read
        np.testing.assert_allclose(recording.signals, signal(t, label), atol=0.03)
        assert recording.rate_hz == 50.0
    data = load_windows(cfg.data)
    assert data.units["ax"] == "g" and data.units["gx"] == "rad/s"


def test_every_bad_input_is_reported_at_once_and_nothing_is_written(compose_train, metamotion, tmp_path):
    folder = tmp_path / "export"
    shutil.copytree(metamotion, folder)
    rng = np.random.default_rng(5)
    sessions = sorted((folder / "Left Jab").iterdir())
    (sessions[0] / next(p.name for p in sessions[0].glob("*Gyroscope*"))).unlink()  # a missing sensor file
    late = folder / "Left Jab" / "Left Jab 8 Eve_2019-11-06T10-00-00.000"
    metamotion_session(late, 0, start=EPOCH_S + 90_000, rng=rng)
    gyro = next(late.glob("*Gyroscope*"))
    frame = pd.read_csv(gyro)
    frame["epoch (ms)"] += 600_000  # ten minutes later: the clocks do not overlap
    frame.to_csv(gyro, index=False)
    slow = folder / "Left Jab" / "Left Jab 8 Fay_2019-11-06T11-00-00.000"
    metamotion_session(slow, 0, start=EPOCH_S + 95_000, rng=rng, gyro_rate=5.0)  # far slower than 25 Hz
    accel = next(sessions[1].glob("*Accelerometer*"))
    frame = pd.read_csv(accel)
    frame.loc[20, "epoch (ms)"] = frame.loc[19, "epoch (ms)"]  # a repeated timestamp
    frame.to_csv(accel, index=False)
    shutil.copytree(sessions[2], folder / "Left Jab" / "jab by Anna")  # a name off the pattern
    shutil.copytree(sessions[3], folder / "Left Jab" / "Left Jab ten Anna_2019-11-07T10-00-00.000")
    shutil.copytree(sessions[3], folder / "Left Jab" / "Left Jab 0 Anna_2019-11-08T10-00-00.000")
    cfg, _ = _source(compose_train, "metamotion", folder, f"data.cache_dir={tmp_path / 'cache'}")
    with pytest.raises(DataError) as caught:
        load_windows(cfg.data)
    message = str(caught.value)
    first_line = message.splitlines()[0]
    assert first_line.endswith("7 problems in 7 files; nothing was written"), message
    assert "no gyroscope file (pattern '*Gyroscope*.csv'" in message
    assert "the sensors' clocks do not overlap (accelerometer t=0 s into the session" in message
    assert "gyroscope samples at 4.99 Hz, far below the session's rate 25 Hz" in message
    expected = rf"{re.escape(accel.name)}: line 22: timestamp t=0\.[0-9]+ s into the file \(2019-11-05 2"
    assert re.search(expected + r"[0-9:.]+ UTC\) repeats the previous one", message), message
    assert "the name 'Left Jab/jab by Anna' does not match data.source.sessions" in message
    assert "count 'ten' (from the name) is not a positive integer" in message
    assert "count '0' (from the name) is not a positive integer" in message
    assert "e+09" not in message
    assert not (tmp_path / "cache").exists() or not any((tmp_path / "cache").rglob("*.npz"))


def test_a_bad_count_in_sessions_csv_names_its_line(compose_train, metamotion, tmp_path):
    _, source = _with_sessions_csv(compose_train, metamotion, tmp_path, "session,count", "-3")
    with pytest.raises(
        DataError, match=r"sessions.csv: line 2, column count: count '-3' is not a positive integer"
    ):
        source.load()


@pytest.mark.parametrize(
    "pattern, name, fields",
    [
        (
            "{label}/{label} {count} {subject}_{stamp}",
            "Left Jab/Left Jab 10 Anna_2019-11-05T12-22-19.065",
            {"label": "Left Jab", "count": "10", "subject": "Anna"},
        ),
        ("{label}/{label} {count} {subject}_{stamp}", "Left Jab/Right Jab 10 Anna_x", None),
        ("{subject}/{label}_{_}", "p01/walk_2", {"subject": "p01", "label": "walk"}),
        (
            "{label}/{subject}_{stamp}",
            "walking/anna_2024-03-01_10-22-05",
            {"label": "walking", "subject": "anna"},
        ),
    ],
)
def test_name_patterns(pattern, name, fields):
    assert NamePattern.compile(pattern).match(name) == fields


def test_a_pattern_with_two_fields_side_by_side_is_refused():
    with pytest.raises(DataError, match=r"two fields side by side"):
        NamePattern.compile("{label}{count}")


@pytest.mark.slow
def test_har_train_refuses_a_fold_plan_without_a_class_before_training(metamotion, tmp_path):
    """The issue's case: only one non-test subject has right_hook-like data, and k-fold would
    validate on it. The installed script exits 2 with one line naming the class and subject."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    folder = tmp_path / "export"
    shutil.copytree(metamotion, folder)
    for session in (folder / "Left Hook").iterdir():
        if not any(name in session.name for name in ("Anna", "Dan")):
            shutil.rmtree(session)  # Left Hook: Anna (trains) and Dan (test) only
    command = [
        str(Path(sys.executable).parent / "har-train"),
        "data=metamotion",
        f"data.source.path={folder}",
        "data.split.test_subjects=[Dan]",
        "data.split.val_subjects=[Cleo]",
        "validation=subject_kfold",
        "logger=none",
        f"paths.root={tmp_path / 'out'}",
    ]
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    result = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 2, result.stderr[-2000:]
    (line,) = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert "would train without class(es) Left Hook (only subject(s) Anna)" in line
    assert "epoch" not in result.stdout and not list((tmp_path / "out").rglob("*.keras"))


def test_har_data_tables_are_whole_when_piped(metamotion, tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    command = [
        str(Path(sys.executable).parent / "har-data"),
        "data=metamotion",
        f"data.source.path={metamotion}",
    ]
    command += ["sessions=true", f"paths.cache_dir={tmp_path}"]
    env = {key: value for key, value in os.environ.items() if key != "COLUMNS"}
    result = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    row = next(line for line in result.stdout.splitlines() if "Left Jab/Left Jab 9 Ben_" in line)
    assert len(row) > 200 and "gyroscope +0.123 s" in row and "overlap" in row  # not cut at 80 columns
    assert "share of windows" in result.stdout


def test_a_gap_in_one_sensor_cuts_the_session_and_is_named_in_seconds_and_utc(
    compose_train, metamotion, tmp_path
):
    folder = tmp_path / "export"
    shutil.copytree(metamotion, folder)
    session = next((folder / "Left Jab").glob("Left Jab 8 Anna_*"))
    accel = next(session.glob("*Accelerometer*"))
    frame = pd.read_csv(accel)
    frame.drop(index=range(150, 175)).to_csv(accel, index=False)  # a 1 s hole in the accelerometer only
    _, source = _source(compose_train, "metamotion", folder)
    recordings = source.load()
    parts = [r for r in recordings.recordings if r.name.startswith(str(session))]
    assert len(parts) == 2 and all(part.count is None for part in parts)  # a count is the whole session's
    assert re.search(
        r"\(part 2, from t=6\.9[0-9]* s into the session \(2019-11-05 20:22:26\.[0-9]+ UTC\)\)", parts[1].name
    )
    report = next(s for s in recordings.sessions if s["session"] == f"Left Jab/{session.name}")
    assert report["gaps"] == 1 and "count 8 (the session is cut by gaps)" in report["dropped"]
