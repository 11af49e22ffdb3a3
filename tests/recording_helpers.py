"""Test helpers about recordings that the package itself does not need: a reference windowing
of one recording and a writer of the documented csv folder format (round-trip tests).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from har.data.recording import Recording, RecordingSet
from har.data.sources.csv_folder import ANNOTATIONS_FILE, SESSIONS_FILE
from har.data.windowing import labelled_windows


def window_recording(
    recording: Recording, window: int, hop: int, *, rule: str = "majority", min_purity: float = 0.5
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cut one recording into windows.

    Returns:
        X (N, window, C) float32, y (N,) int, starts (N,) sample index of each window;
        windows whose label the rule rejects are left out.
    """
    y, starts = labelled_windows(recording, window, hop, rule=rule, min_purity=min_purity)
    index = starts[:, None] + np.arange(window)[None, :]  # (N, T)
    X = recording.signals[index]  # (N, T, C)
    return X.astype(np.float32), y, starts


def write_csv_folder(
    recordings: RecordingSet,
    folder: str | Path,
    *,
    parquet: bool = False,
    splits: Mapping[str, str] | None = None,
) -> Path:
    """Write recordings in the documented format (round-trip tests).

    Args:
        splits: subject -> train/val/test, written as the `split` column of sessions.csv.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rows, annotations = [], []
    for number, recording in enumerate(recordings.recordings):
        stem = f"session_{number:03d}"
        frame = pd.DataFrame(recording.signals.astype(np.float64), columns=list(recordings.channels))
        frame.insert(0, "t", np.arange(len(recording.signals)) / recording.rate_hz)
        frame["label"] = [recordings.class_names[i] if i >= 0 else "" for i in recording.labels]
        if parquet:
            frame.to_parquet(folder / f"{stem}.parquet", index=False)
        else:
            frame.to_csv(folder / f"{stem}.csv", index=False, float_format="%.9g")
        rows.append({"session": stem, "subject": recording.subject})
        if splits is not None:
            rows[-1]["split"] = splits.get(recording.subject, "")
        annotations += [
            {"session": stem, "start_s": e.start_s, "end_s": e.end_s, "label": e.label}
            for e in recording.events
        ]
    pd.DataFrame(rows).to_csv(folder / SESSIONS_FILE, index=False)
    if annotations:
        pd.DataFrame(annotations).to_csv(folder / ANNOTATIONS_FILE, index=False)
    return folder


def write_data_config(folder: str | Path) -> Path:
    """A folder of one's own configs (`--config-dir`) with `data=mine`: a csv data config over
    generated recordings (6 subjects x 30 s, enough windows of every class for a split)."""
    from har.data.sources.strikes_sim import StrikesSimSource

    folder = Path(folder)
    recordings = write_csv_folder(
        StrikesSimSource(n_subjects=6, sessions_per_subject=1, session_s=30).load(), folder / "recordings"
    )
    conf = folder / "my_conf"
    (conf / "data").mkdir(parents=True)
    (conf / "data" / "mine.yaml").write_text(
        f"defaults: [csv, _self_]\nname: mine\nsource:\n  path: {recordings}\nwindow_s: 1.0\nhop_s: 0.5\n"
    )
    return conf


def edit_data_config(conf: Path) -> None:
    """Change `data=mine` of `write_data_config` (another hop)."""
    path = conf / "data" / "mine.yaml"
    path.write_text(path.read_text().replace("hop_s: 0.5", "hop_s: 1.0"))
