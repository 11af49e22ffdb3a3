"""The `csv` source: round trip from in-memory recordings, and a clear error for bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from recording_helpers import window_recording, write_csv_folder

from har.data.dataset import load_windows
from har.data.recording import DataError, RecordingSet
from har.data.sources.csv_folder import CsvFolderSource
from har.data.sources.strikes_sim import StrikesSimSource
from har.data.sources.watch import WatchSource


def _watch_subset() -> RecordingSet:
    recordings = WatchSource().load()
    chosen = [r for r in recordings.recordings if r.subject in {"1", "2", "3"}][:12]
    return RecordingSet(chosen, recordings.class_names, "watch subset")


@pytest.mark.parametrize("parquet", [False, True])
def test_round_trip_reproduces_the_windows(tmp_path, parquet):
    original = _watch_subset()
    write_csv_folder(original, tmp_path / "sessions", parquet=parquet)
    loaded = CsvFolderSource(path=str(tmp_path / "sessions"), classes=original.class_names).load()
    assert len(loaded.recordings) == len(original.recordings)
    for before, after in zip(original.recordings, loaded.recordings):
        assert after.subject == before.subject
        X0, y0, _ = window_recording(before, 100, 50)
        X1, y1, _ = window_recording(after, 100, 50)
        np.testing.assert_array_equal(X0, X1)
        np.testing.assert_array_equal(y0, y1)


def test_round_trip_with_annotations_keeps_events(tmp_path):
    original = StrikesSimSource(n_subjects=3, sessions_per_subject=1, session_s=20).load()
    folder = write_csv_folder(original, tmp_path / "strikes")
    assert (folder / "annotations.csv").is_file()
    loaded = CsvFolderSource(path=str(folder), classes=original.class_names).load()
    for before, after in zip(original.recordings, loaded.recordings):
        np.testing.assert_array_equal(before.labels, after.labels)
        assert len(after.events) == len(before.events)
        assert [e.label for e in after.events] == [e.label for e in before.events]


def test_csv_config_loads_a_folder_with_a_seeded_split(tmp_path, compose_train):
    folder = write_csv_folder(
        StrikesSimSource(n_subjects=6, sessions_per_subject=1, session_s=30).load(), tmp_path / "f"
    )
    data = load_windows(
        compose_train("data=csv", f"data.source.path={folder}", "data.window_s=1.0", "data.hop_s=0.5").data
    )
    assert data.class_names == sorted(data.class_names)
    assert sum(len(v) for v in data.subjects.values()) == 6
    seen = [set(data.split(s).groups.tolist()) for s in ("train", "val", "test")]
    assert seen[0].isdisjoint(seen[1]) and seen[0].isdisjoint(seen[2]) and seen[1].isdisjoint(seen[2])


def test_irregular_timestamps_are_resampled_and_gaps_split(tmp_path):
    t = np.concatenate([np.arange(0, 5, 0.021), np.arange(8, 12, 0.019)])  # ~48 and ~53 Hz, 3 s gap
    frame = pd.DataFrame(
        {"t": t, **{c: np.sin(t + i) for i, c in enumerate(["ax", "ay", "az", "gx", "gy", "gz"])}}
    )
    frame["label"] = "walk"
    frame.to_csv(tmp_path / "s.csv", index=False)
    (tmp_path / "sessions.csv").write_text("session,subject\ns,1\n")
    loaded = CsvFolderSource(path=str(tmp_path)).load()
    recordings = loaded.recordings
    assert len(recordings) == 2 and "part 2, from t=8" in recordings[1].name
    # the median step is 0.021 s: 47.6 Hz, the nearest whole rate within 2% is 48 Hz
    assert recordings[0].rate_hz == recordings[1].rate_hz == 48
    grid = np.arange(len(recordings[0].signals)) / 48
    np.testing.assert_allclose(recordings[0].signals[:, 0], np.sin(grid), atol=2e-3)
    (report,) = loaded.sessions
    assert report["gaps"] == 1 and report["longest_gap_s"] == pytest.approx(3.002, abs=1e-3)
    assert report["rate_found_hz"] == pytest.approx(1 / 0.021, abs=1e-3)


# --- bad input: each names the file and the line or column, and writes nothing ---------------

GOOD = "t,ax,ay,az,gx,gy,gz,label\n" + "".join(f"{i / 50},0,0,1,0,0,0,walk\n" for i in range(300))


def _folder(tmp_path, session_text: str | bytes, *, sessions="session,subject\ns,1\n", annotations=None):
    folder = tmp_path / "data"
    folder.mkdir()
    path = folder / "s.csv"
    path.write_bytes(session_text if isinstance(session_text, bytes) else session_text.encode())
    if sessions is not None:
        (folder / "sessions.csv").write_text(sessions)
    if annotations is not None:
        (folder / "annotations.csv").write_text(annotations)
    return folder


def _replace_line(line: int, text: str) -> str:
    lines = GOOD.splitlines()
    lines[line - 1] = text
    return "\n".join(lines) + "\n"


BAD_INPUTS = {
    "missing column": (
        GOOD.replace("gz,label", "label").replace(",0,walk", ",walk"),
        r"s.csv: missing column\(s\) gz",
    ),
    "non-numeric": (
        _replace_line(12, "0.2,0,abc,1,0,0,0,walk"),
        r"line 12, column ay: 'abc' is not a finite number",
    ),
    "nan": (_replace_line(40, "0.78,0,0,nan,0,0,0,walk"), "line 40, column az: 'nan' is not a finite"),
    "inf": (_replace_line(41, "0.8,inf,0,1,0,0,0,walk"), "line 41, column ax: 'inf'"),
    "empty cell": (_replace_line(7, "0.1,0,0,1,,0,0,walk"), "line 7, column gx: ''"),
    "timestamp goes back": (_replace_line(20, "0.1,0,0,1,0,0,0,walk"), "line 20: timestamp t=0.1 goes back"),
    "duplicated timestamp": (_replace_line(20, "0.34,0,0,1,0,0,0,walk"), "line 20: timestamp t=0.34 repeats"),
    "empty file": ("", "s.csv: empty file"),
    "header only": ("t,ax,ay,az,gx,gy,gz\n", "s.csv: no rows"),
    "binary garbage": (bytes(range(256)) * 8, "s.csv: not a text CSV file"),
    "invalid utf-8": (GOOD.encode() + b"\xff\xfe,1\n", "s.csv: not a text CSV file"),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_session_file_is_a_clear_error(tmp_path, case):
    text, message = BAD_INPUTS[case]
    folder = _folder(tmp_path, text)
    before = sorted(p.name for p in folder.iterdir())
    with pytest.raises(DataError, match=message):
        CsvFolderSource(path=str(folder)).load()
    assert sorted(p.name for p in folder.iterdir()) == before


def test_unknown_label_in_annotations(tmp_path):
    folder = _folder(tmp_path, GOOD, annotations="session,start_s,end_s,label\ns,1,2,run\n")
    with pytest.raises(DataError, match=r"annotations.csv: session s: unknown label 'run'"):
        CsvFolderSource(path=str(folder), classes=["walk"]).load()


def test_unknown_label_in_the_label_column(tmp_path):
    with pytest.raises(DataError, match=r"line 2, column label: unknown label 'walk'"):
        CsvFolderSource(path=str(_folder(tmp_path, GOOD)), classes=["run"]).load()


def test_annotation_for_an_unknown_session(tmp_path):
    folder = _folder(tmp_path, GOOD, annotations="session,start_s,end_s,label\nother,1,2,walk\n")
    with pytest.raises(DataError, match="line 2: unknown session 'other'"):
        CsvFolderSource(path=str(folder)).load()


def test_missing_sessions_file(tmp_path):
    with pytest.raises(DataError, match="sessions.csv: missing"):
        CsvFolderSource(path=str(_folder(tmp_path, GOOD, sessions=None))).load()


def test_session_without_subject(tmp_path):
    with pytest.raises(DataError, match=r"no subject for session\(s\) s"):
        CsvFolderSource(path=str(_folder(tmp_path, GOOD, sessions="session,subject\nx,1\n"))).load()


def test_empty_folder(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="empty: no session files"):
        CsvFolderSource(path=str(tmp_path / "empty")).load()


def test_not_a_folder(tmp_path):
    with pytest.raises(DataError, match="not a folder"):
        CsvFolderSource(path=str(tmp_path / "nowhere")).load()


def test_recording_shorter_than_a_window_writes_no_cache(tmp_path, compose_train):
    short = "t,ax,ay,az,gx,gy,gz,label\n" + "".join(f"{i / 50},0,0,1,0,0,0,walk\n" for i in range(40))
    folder = _folder(tmp_path, short)
    cache = tmp_path / "windows"
    cfg = compose_train("data=csv", f"data.source.path={folder}", f"data.cache_dir={cache}")
    with pytest.raises(
        DataError, match=r"s.csv: line 2: 40 samples \(0.80 s\) is shorter than one window \(2 s\)"
    ):
        load_windows(cfg.data)
    assert not cache.exists() or not any(cache.iterdir())
