"""Bring-your-own recordings: real files written here, loaded as a new user would (`data=csv`).

Rates found from timestamps, declared channels and units, column renaming, every problem at
once, short recordings, declared and class-aware splits, and the `har-data` session report.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from har.data.dataset import load_windows
from har.data.recording import DataError
from har.data.sources.csv_folder import CsvFolderSource
from har.data.splits import SPLITS, split_subjects, subject_classes

CHANNELS = ["ax", "ay", "az", "gx", "gy", "gz"]


def har_data(folder: Path, root: Path) -> subprocess.CompletedProcess:
    """`har-data data=csv` on `folder`, as a user runs it (wide enough for the session table)."""
    return subprocess.run(
        [
            str(Path(sys.executable).parent / "har-data"),
            "data=csv",
            f"data.source.path={folder}",
            f"paths.root={root}",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "COLUMNS": "200"},
    )


def write_session(folder: Path, stem: str, t: np.ndarray, labels, *, columns=CHANNELS, seed: int = 0) -> Path:
    """A session file: `t` as given (floats as Python prints them), smooth signals, labels."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"t": t})
    for number, column in enumerate(columns):
        frame[column] = np.sin(2 * np.pi * (0.5 + 0.1 * number) * t) + 0.05 * rng.normal(size=len(t))
    frame["label"] = labels if not isinstance(labels, str) else [labels] * len(t)
    folder.mkdir(parents=True, exist_ok=True)
    frame.to_csv(folder / f"{stem}.csv", index=False)
    return folder / f"{stem}.csv"


def write_sessions_file(folder: Path, rows: list[tuple]) -> None:
    header = "session,subject" + (",split" if rows and len(rows[0]) == 3 else "")
    (folder / "sessions.csv").write_text(header + "\n" + "".join(",".join(r) + "\n" for r in rows))


def ten_hz(seconds: float) -> np.ndarray:
    """Timestamps of a 10 Hz device summed in floating point: 0.1 + 0.1 + 0.1 = 0.30000000000000004."""
    return np.cumsum(np.full(int(seconds * 10), 0.1)) - 0.1


def load(compose_train, folder: Path, *overrides: str):
    return load_windows(compose_train("data=csv", f"data.source.path={folder}", *overrides).data)


# --- rates and gaps --------------------------------------------------------------------------


def test_ten_hz_float_timestamps_load_as_one_recording_each_without_rate_hz(tmp_path, compose_train):
    folder = tmp_path / "ten_hz"
    for number in range(5):
        write_session(folder, f"s{number}", ten_hz(60), ["walk", "sit"][number % 2], seed=number)
    write_sessions_file(folder, [(f"s{n}", f"p{n}") for n in range(5)])
    assert (pd.read_csv(folder / "s0.csv")["t"].diff().max() - 0.1) > 0  # steps a little over the period
    recordings = CsvFolderSource(path=str(folder)).load()
    assert len(recordings.recordings) == 5 and {r.rate_hz for r in recordings.recordings} == {10}
    data = load(compose_train, folder)
    assert data.rate_hz == 10 and data.window == 20 and data.hop == 10  # 2 s windows at 10 Hz
    assert sum(data.recordings_per_split.values()) == 5
    assert [s["gaps"] for s in data.sessions] == [0] * 5


def test_a_number_resamples_on_purpose(tmp_path, compose_train):
    folder = tmp_path / "ten_hz"
    for number in range(5):  # two classes: a loader refuses one
        write_session(folder, f"s{number}", ten_hz(30), ["walk", "sit"][number % 2], seed=number)
    write_sessions_file(folder, [(f"s{n}", f"p{n}") for n in range(5)])
    data = load(compose_train, folder, "data.rate_hz=50")
    # no note about the rate (the notes say which split lacks a class: one class per subject here)
    assert data.rate_hz == 50 and data.window == 100 and not [n for n in data.notes if "rate" in n]


def test_a_mixed_rate_folder_is_resampled_to_the_most_common_rate_with_a_note(
    tmp_path, compose_train, capsys
):
    folder = tmp_path / "mixed"
    for number in range(6):
        rate = 25 if number in (1, 4) else 50
        write_session(folder, f"s{number}", np.arange(40 * rate) / rate, ["walk", "sit"][number % 2])
    write_sessions_file(folder, [(f"s{n}", f"p{n}") for n in range(6)])
    data = load(compose_train, folder)
    assert data.rate_hz == 50 and data.window == 100
    (note,) = [n for n in data.notes if "rate_hz=auto" in n]
    assert "50 Hz, the rate of 4 of 6 recordings" in note and "from 25 Hz:" in note
    assert "s1.csv" in note and "s4.csv" in note and "s0.csv" not in note
    assert "note: data.rate_hz=auto" in capsys.readouterr().err
    resampled = {s["file"]: s.get("resampled_to") for s in data.sessions}
    assert resampled == {
        "s0.csv": None,
        "s1.csv": 50,
        "s2.csv": None,
        "s3.csv": None,
        "s4.csv": 50,
        "s5.csv": None,
    }


def test_a_gap_is_a_multiple_of_the_sessions_own_period(tmp_path):
    folder = tmp_path / "gaps"
    t10 = ten_hz(30)
    t10[150:] += 0.4  # 0.5 s step at 10 Hz: 5 periods, not a gap
    write_session(folder, "ten", t10, "walk")
    t50 = np.arange(1500) / 50
    t50[750:] += 0.2  # 0.22 s at 50 Hz: 11 periods, a gap
    write_session(folder, "fifty", t50, "walk")
    write_sessions_file(folder, [("ten", "a"), ("fifty", "b")])
    loaded = CsvFolderSource(path=str(folder)).load()
    assert [r.name.rsplit("/", 1)[-1] for r in loaded.recordings] == [
        "fifty.csv (part 1, from t=0)",
        "fifty.csv (part 2, from t=15.2)",
        "ten.csv",
    ]
    more = CsvFolderSource(path=str(folder), max_gap_periods=3).load()
    assert len(more.recordings) == 4


# --- channels, units and column names --------------------------------------------------------


def test_phone_units_map_to_g_and_rad_per_s(tmp_path):
    folder = tmp_path / "phone"
    t = np.arange(500) / 50
    values = {"ax": 9.80665, "ay": -4.903325, "az": 0.0, "gx": 180.0, "gy": -90.0, "gz": 57.29577951308232}
    frame = pd.DataFrame({"t": t, **{c: np.full(len(t), v) for c, v in values.items()}, "label": "walk"})
    folder.mkdir()
    frame.to_csv(folder / "s.csv", index=False)
    write_sessions_file(folder, [("s", "1")])
    units = {"ax": "m/s^2", "ay": "m/s^2", "az": "m/s^2", "gx": "deg/s", "gy": "deg/s", "gz": "deg/s"}
    loaded = CsvFolderSource(path=str(folder), units=units).load()
    expected = [1.0, -0.5, 0.0, math.pi, -math.pi / 2, 1.0]
    np.testing.assert_allclose(loaded.recordings[0].signals[0], expected, atol=1e-6)
    assert loaded.units == {"ax": "g", "ay": "g", "az": "g", "gx": "rad/s", "gy": "rad/s", "gz": "rad/s"}


def test_a_devices_column_names_and_millisecond_timestamps(tmp_path, compose_train):
    folder = tmp_path / "device"
    names = ["acc_x", "acc_y", "acc_z", "gyr_x", "gyr_y", "gyr_z"]
    for number in range(5):
        path = write_session(
            folder, f"s{number}", np.arange(1500) * 20.0, ["walk", "sit"][number % 2], columns=names
        )
        frame = pd.read_csv(path).rename(columns={"t": "timestamp_ms", "label": "activity"})
        frame.insert(1, "battery", 0.9)
        frame.to_csv(path, index=False)
    write_sessions_file(folder, [(f"s{n}", f"p{n}") for n in range(5)])
    columns = (
        "{"
        + ",".join([f"{a}:{b}" for a, b in zip(names, CHANNELS)] + ["timestamp_ms:t", "activity:label"])
        + "}"
    )
    data = load(compose_train, folder, f"data.source.columns={columns}", "data.source.units={t:ms}")
    assert data.rate_hz == 50 and data.input_shape == (100, 6)
    assert data.sessions[0]["duration_s"] == pytest.approx(30.0)
    assert any("column battery ignored in 5 file(s)" in note for note in data.notes)


def test_accelerometer_only_and_extra_channels(tmp_path, compose_train):
    folder = tmp_path / "nine"
    columns = [*CHANNELS, "mx", "my", "mz"]
    for number in range(5):
        write_session(
            folder, f"s{number}", np.arange(1500) / 50, ["walk", "sit"][number % 2], columns=columns
        )
    write_sessions_file(folder, [(f"s{n}", f"p{n}") for n in range(5)])
    accel = load(compose_train, folder, "data.channels=[ax,ay,az]")
    assert accel.input_shape == (100, 3) and accel.train.X.shape[1:] == (100, 3)
    assert accel.summary()["channels"] == ["ax", "ay", "az"] and accel.units == {
        c: "g" for c in ("ax", "ay", "az")
    }
    nine = load(compose_train, folder, f"data.channels=[{','.join(columns)}]")
    assert nine.input_shape == (100, 9) and nine.units["mx"] == "uT"
    np.testing.assert_array_equal(nine.train.X[..., :3], accel.train.X)


def test_watch_with_declared_channels_selects_them(compose_train):
    data = load_windows(compose_train("data.channels=[gx,gy,gz]").data)
    full = load_windows(compose_train().data)
    np.testing.assert_array_equal(data.train.X, full.train.X[..., 3:])
    with pytest.raises(DataError, match=r"data.channels: mx not in watch"):
        load_windows(compose_train("data.channels=[ax,mx]").data)


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("data.source.units={ax:deg/s}", r"data.source.units.ax='deg/s': not a unit of acceleration"),
        ("data.source.units={qx:g}", r"data.source.units: qx not in data.channels"),
        ("data.source.units={t:minutes}", r"data.source.units.t='minutes': expected one of s, ms, us, ns"),
        ("data.channels=[ax,ax]", r"data.channels: channel\(s\) ax listed twice"),
        ("data.source.on_short=ignore", r"data.source.on_short='ignore': expected one of error, skip"),
    ],
)
def test_a_bad_declaration_names_its_key(tmp_path, compose_train, override, message):
    folder = tmp_path / "f"
    write_session(folder, "s", np.arange(500) / 50, "walk")
    write_sessions_file(folder, [("s", "1")])
    with pytest.raises(ValueError, match=message):
        load(compose_train, folder, override)


def test_a_missing_declared_channel_says_how_to_fix_it(tmp_path):
    folder = tmp_path / "f"
    write_session(folder, "s", np.arange(500) / 50, "walk", columns=["ax", "ay", "az"])
    write_sessions_file(folder, [("s", "1")])
    with pytest.raises(
        DataError, match=r"missing column\(s\) gx, gy, gz \(the file has t, ax, ay, az, label\)"
    ):
        CsvFolderSource(path=str(folder)).load()


# --- every problem at once ------------------------------------------------------------------


def three_problems(folder: Path) -> None:
    """Five sessions, three of them broken in different files."""
    for number in range(5):
        write_session(folder, f"s{number}", np.arange(1500) / 50, ["walk", "sit"][number % 2], seed=number)
    lines = (folder / "s1.csv").read_text().splitlines()
    lines[10] = lines[10].replace(lines[10].split(",")[2], "n/a?", 1)  # a cell that is not a number
    (folder / "s1.csv").write_text("\n".join(lines) + "\n")
    lines = (folder / "s2.csv").read_text().splitlines()
    lines[30], lines[31] = lines[31], lines[30]  # a timestamp that goes back
    (folder / "s2.csv").write_text("\n".join(lines) + "\n")
    t = np.concatenate([[0.0], 10 + np.arange(1500) / 50])  # a lone sample before a 10 s gap
    write_session(folder, "s3", t, "walk")
    write_sessions_file(folder, [(f"s{n}", f"p{n}") for n in range(5)])


def test_three_problems_in_three_files_are_reported_in_one_run_and_nothing_is_written(
    tmp_path, compose_train
):
    folder = tmp_path / "broken"
    three_problems(folder)
    cache = tmp_path / "windows"
    with pytest.raises(DataError) as raised:
        load(compose_train, folder, f"data.cache_dir={cache}")
    message = str(raised.value)
    assert message.startswith(f"{folder}: 3 problems in 3 files; nothing was written")
    assert "s1.csv: line 11, column ay: 'n/a?' is not a finite number" in message
    assert "s2.csv: line 32: timestamp t=0.58 goes back from the previous one (0.6)" in message
    assert "s3.csv (part 1, from t=0): line 2: 1 samples (0.02 s) is shorter than one window (2 s)" in message
    assert "gaps) cut the session" in message and "data.source.on_short=skip" in message
    assert "1 recording(s) in 1 file(s) are shorter than one window; the shortest:" in message
    assert not cache.exists() or not any(cache.iterdir())


def test_har_data_reports_every_problem_and_exits_2(tmp_path):
    folder = tmp_path / "broken"
    three_problems(folder)
    result = har_data(folder, tmp_path)
    assert result.returncode == 2, result.stderr[-2000:]
    assert "3 problems in 3 files" in result.stderr
    assert all(name in result.stderr for name in ("s1.csv: line 11", "s2.csv: line 32", "s3.csv (part 1"))
    assert not (tmp_path / "cache").exists()


def test_on_short_skip_drops_and_lists_what_was_dropped(tmp_path, compose_train):
    folder = tmp_path / "short"
    three_problems(folder)
    for stem, label in (("s1", "walk"), ("s2", "sit")):  # two classes: a loader refuses one
        write_session(folder, stem, np.arange(1500) / 50, label, seed=7)
    data = load(compose_train, folder, "data.source.on_short=skip")
    assert any("on_short=skip dropped 1 recording(s)" in note for note in data.notes)
    assert any("s3.csv (part 1, from t=0): line 2: 1 samples" in note for note in data.notes)
    (s3,) = [s for s in data.sessions if s["file"] == "s3.csv"]
    assert s3["gaps"] == 1 and s3["recordings"] == 1 and len(s3["dropped"]) == 1


# --- splits ----------------------------------------------------------------------------------


def labelled_folder(
    folder: Path, subjects: dict[str, list[str]], split: dict[str, str] | None = None
) -> Path:
    """One 30 s session per (subject, class), 10 Hz."""
    rows = []
    for subject, classes in subjects.items():
        for label in classes:
            stem = f"{subject}_{label}"
            write_session(folder, stem, ten_hz(30), label, seed=len(rows))
            rows.append((stem, subject, split.get(subject, "")) if split is not None else (stem, subject))
    write_sessions_file(folder, rows)
    return folder


def test_a_split_column_is_honoured(tmp_path, compose_train):
    subjects = {f"p{n}": ["walk", "sit"] for n in range(6)}
    split = {"p1": "test", "p4": "test", "p2": "val", "p0": "train"}
    data = load(compose_train, labelled_folder(tmp_path / "f", subjects, split))
    assert data.subjects["test"] == ["p1", "p4"] and data.subjects["val"] == ["p2"]
    assert data.subjects["train"] == ["p0", "p3", "p5"]
    declared = {s["subject"]: s["declared_split"] for s in data.sessions}
    assert declared["p1"] == "test" and declared["p3"] is None
    assert {s["subject"]: s["split"] for s in data.sessions}["p3"] == "train"
    overridden = load(compose_train, tmp_path / "f", "data.split.test_subjects=[p0]")
    assert (
        overridden.subjects["test"] == ["p0"]
        and "p1" in overridden.subjects["train"] + overridden.subjects["val"]
    )


def test_a_subject_with_conflicting_splits_is_refused(tmp_path, compose_train):
    folder = labelled_folder(tmp_path / "f", {f"p{n}": ["walk", "sit"] for n in range(4)}, {})
    text = (folder / "sessions.csv").read_text().splitlines()
    text[1] += "test"  # p0_walk: test
    text[2] += "train"  # p0_sit: train
    text[3] += "later"
    (folder / "sessions.csv").write_text("\n".join(text) + "\n")
    with pytest.raises(DataError) as raised:
        load(compose_train, folder)
    message = str(raised.value)
    assert (
        "sessions.csv: column split: subject 'p0' is declared in 2 splits (test: p0_walk; train: p0_sit)"
        in message
    )
    assert "sessions.csv: line 4, column split: split 'later' is not one of train, val, test" in message


def test_the_seeded_split_covers_every_class_when_the_subjects_allow(tmp_path, compose_train):
    # `run` is in three subjects of ten: each split needs one of them
    subjects = {f"p{n}": ["walk", "sit", "run"] if n in (2, 5, 8) else ["walk", "sit"] for n in range(10)}
    folder = labelled_folder(tmp_path / "f", subjects)
    blind_misses = 0
    for seed in range(4):
        data = load(compose_train, folder, f"data.split.seed={seed}")
        for name in SPLITS:
            assert set(data.split(name).y.tolist()) == {0, 1, 2}, (seed, name, data.subjects)
        assert not any("has no windows of class" in n for n in data.notes)
        classes = subject_classes(data.train.groups, data.train.y)
        blind = split_subjects(list(subjects), seed=seed)  # the class-blind draw of the same seed
        blind_misses += any(not any(s in ("p2", "p5", "p8") for s in blind[name]) for name in SPLITS)
        assert classes
    assert blind_misses  # the class-blind draw would have missed `run` somewhere


def test_a_class_no_split_can_get_is_named(tmp_path, compose_train, capsys):
    subjects = {f"p{n}": ["walk", "sit", "run"] if n in (2, 5) else ["walk", "sit"] for n in range(10)}
    data = load(compose_train, labelled_folder(tmp_path / "f", subjects))
    (note,) = [n for n in data.notes if "has no windows of class" in n]
    assert "has no windows of class(es) run" in note and "macro-F1 is over the classes present" in note
    assert "note: the " in capsys.readouterr().err


# --- har-data and the run folder --------------------------------------------------------------


def test_har_data_prints_a_report_per_session(tmp_path):
    folder = tmp_path / "my_phone"
    for number in range(5):
        t = ten_hz(40)
        if number == 3:
            t[200:] += 3.0  # a 3 s gap
        write_session(folder, f"s{number}", t, ["walk", "sit"][number % 2], seed=number)
    write_sessions_file(folder, [(f"s{n}", f"p{n}", "test" if n == 1 else "") for n in range(5)])
    result = har_data(folder, tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    rows = {line.split("│")[1].strip(): line for line in result.stdout.splitlines() if line.count("│") > 5}
    assert set(rows) >= {f"s{n}.csv" for n in range(5)}
    s1 = [cell.strip() for cell in rows["s1.csv"].split("│")[1:-1]]
    assert s1[:6] == ["s1.csv", "p1", "test (declared)", "10 Hz", "40.0 s", "0"]
    assert s1[6] == "sit 40"
    s3 = [cell.strip() for cell in rows["s3.csv"].split("│")[1:-1]]
    assert s3[5] == "1 (longest 3.1 s)" and s3[4] == "43.0 s"


def test_csv_run_folders_are_named_after_the_data_folder(tmp_path, compose_train):
    cfg = compose_train("data=csv", f"data.source.path={tmp_path / 'Phone export 2024'}/")
    assert cfg.data.run_name == "csv-Phone export 2024"
    assert compose_train().data.run_name == "watch"
