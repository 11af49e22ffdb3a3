"""The boxing-glove story end to end: a MetaMotion export whose folder names give each session's
punch count, read by configuration alone, cut into movement windows by a detector fitted on
those counts. The strikes are simulated (strikes_sim's pulses); only the plumbing is tested here."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from device_exports import EPOCH_S

from har.config import instantiate
from har.data.dataset import load_windows
from har.data.movements import DetectorSettings, find_movements
from har.data.sources.strikes_sim import _strike, random_style

RATE = 25.0
PUNCHES = {"Left Jab": "jab", "Right Cross": "cross"}


def _session(folder: Path, punch: str, count: int, start: float, rng) -> None:
    """`count` punches: a flurry of half of them 0.5 s apart, the rest 1.5-2.5 s apart."""
    style = random_style(rng)
    onsets, t = [], 2.0
    for number in range(count):
        onsets.append(t)
        t += 0.5 if number < count // 2 else rng.uniform(1.5, 2.5)
    n = int((t + 2.0) * RATE)
    motion = np.zeros((n, 6))
    for onset in onsets:
        length = int(0.35 * RATE)
        begin = int(onset * RATE)
        motion[begin : begin + length] += _strike(PUNCHES[punch], length, rng, style.strength)
    motion[:, :3] += style.gravity
    motion += rng.normal(scale=0.02, size=motion.shape)
    folder.mkdir(parents=True)
    stamp = folder.name.rsplit("_", 1)[-1]
    for sensor, unit, scale, columns in (
        ("Accelerometer", "g", 1.0, slice(0, 3)),
        ("Gyroscope", "°/s", 180 / np.pi, slice(3, 6)),
    ):
        epoch_ms = np.round((start + np.arange(n) / RATE) * 1000).astype(np.int64)
        frame = pd.DataFrame({"epoch (ms)": epoch_ms, "elapsed (s)": (epoch_ms - epoch_ms[0]) / 1000})
        for axis, column in zip("XYZ", (motion[:, columns] * scale).T):
            frame[f"{axis}-Axis ({unit})"] = np.round(column, 4)
        frame.to_csv(folder / f"Left_{sensor}_{stamp}.csv", index=False)


def test_a_glove_export_is_counted_by_a_detector_fitted_on_its_folder_names(tmp_path, compose_train):
    rng = np.random.default_rng(3)
    start = EPOCH_S
    for punch in PUNCHES:
        for subject in ("Anna", "Ben", "Cleo"):
            for count in (6, 10):
                stamp = pd.Timestamp(start, unit="s").strftime("%Y-%m-%dT%H-%M-%S.%f")[:-3]
                _session(
                    tmp_path / "export" / punch / f"{punch} {count} {subject}_{stamp}",
                    punch,
                    count,
                    start,
                    rng,
                )
                start += 120.0
    cfg = compose_train(
        "data=metamotion",
        f"data.source.path={tmp_path / 'export'}",
        "data.windows.kind=movements",
        "data.window_s=1.0",
        "data.hop_s=0.2",
        "data.split.test_subjects=[Cleo]",
        "data.split.val_subjects=[Ben]",
    )
    data = load_windows(cfg.data, use_cache=False)
    assert data.detector["fitted"]["from"] == "counts" and data.detector["fitted"]["subjects"] == [
        "Anna",
        "Ben",
    ]
    detector = DetectorSettings.from_dict(data.detector)
    # the held-out subject's sessions, each counted by the fitted detector
    units = {**dict.fromkeys(["ax", "ay", "az"], "g"), **dict.fromkeys(["gx", "gy", "gz"], "rad/s")}
    source = instantiate(cfg.data.source, "data.source").load()
    for recording in (r for r in source.recordings if r.subject == "Cleo"):
        found, _ = find_movements(recording.signals, detector, list(source.channels), units, RATE, window=25)
        assert len(found) == recording.count, recording.name
