"""Folders written the way devices write them (test data the package itself does not need).

`metamotion_export` writes what MbientLab's MetaBase app exports: a folder per movement, in it
a folder per session named `<label> <count> <subject>_<timestamp>`, holding one csv per sensor,
each with its own epoch clock (milliseconds), a start offset and jitter, acceleration in g and
angular rate in deg/s. `sensor_logger_export` writes Sensor Logger's per-recording csv files
(`time` in epoch nanoseconds, `seconds_elapsed`, columns `z,y,x`, m/s^2 and rad/s). Both draw
every channel from `signal`, so a test can compare what har merged with what was generated.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from har.data.channels import STANDARD_GRAVITY

EPOCH_S = 1_572_985_339.065  # 2019-11-05T20:22:19.065 UTC, as in the MetaMotion export
PUNCHES = ("Left Jab", "Right Cross", "Left Hook")
PHONE_ACTIVITIES = ("walking", "jumping")


def signal(t: np.ndarray, label: int) -> np.ndarray:
    """The generating signal (n, 6) in g and rad/s at seconds `t`: slow sines a class apart."""
    phase = np.arange(6)[None, :] * 0.9 + label * 1.7
    frequency = 0.6 + 0.25 * label
    values = np.sin(2 * np.pi * frequency * t[:, None] + phase)
    values[:, 2] += 1.0  # gravity on z
    values[:, 3:] *= 2.0  # rad/s
    return values


def _clock(rng, start: float, seconds: float, rate: float, jitter: float) -> np.ndarray:
    steps = 1 / rate + rng.uniform(-jitter, jitter, int(seconds * rate))
    return start + np.concatenate([[0.0], np.cumsum(steps[1:])])


def metamotion_session(
    folder: Path,
    label: int,
    *,
    start: float,
    rng,
    seconds: float = 12.0,
    rate: float = 25.0,
    gyro_offset: float = 0.123,
    gyro_rate: float | None = None,
) -> None:
    """One session folder: an accelerometer and a gyroscope csv, each with its own clock."""
    folder.mkdir(parents=True, exist_ok=True)
    stamp = folder.name.rsplit("_", 1)[-1]
    for sensor, offset, unit, scale, channels in (
        ("Accelerometer", 0.0, "g", 1.0, slice(0, 3)),
        ("Gyroscope", gyro_offset, "°/s", 180 / np.pi, slice(3, 6)),
    ):
        sensor_rate = gyro_rate if sensor == "Gyroscope" and gyro_rate else rate
        t = _clock(rng, start + offset, seconds - offset, sensor_rate, jitter=0.002)
        epoch_ms = np.round(t * 1000, 0)  # whole milliseconds, as the app writes them
        values = signal(epoch_ms / 1000 - start, label)[:, channels] * scale
        frame = pd.DataFrame({"epoch (ms)": epoch_ms.astype(np.int64)})
        frame["time (-08:00)"] = pd.to_datetime(epoch_ms, unit="ms").strftime("%Y-%m-%dT%H.%M.%S.%f")
        frame["elapsed (s)"] = np.round(epoch_ms / 1000 - epoch_ms[0] / 1000, 3)
        for axis, column in zip("XYZ", values.T):
            frame[f"{axis}-Axis ({unit})"] = np.round(column, 4)
        frame.to_csv(folder / f"Left_{sensor}_{stamp}.csv", index=False)


def metamotion_export(folder: Path, *, subjects=("Anna", "Ben", "Cleo", "Dan"), sessions: int = 2) -> Path:
    """A MetaMotion-style export: every subject does every punch `sessions` times."""
    rng = np.random.default_rng(0)
    start = EPOCH_S
    for label, punch in enumerate(PUNCHES):
        for subject in subjects:
            for number in range(sessions):
                stamp = pd.Timestamp(start, unit="s").strftime("%Y-%m-%dT%H-%M-%S.%f")[:-3]
                name = f"{punch} {8 + number + label} {subject}_{stamp}"
                metamotion_session(folder / punch / name, label, start=start, rng=rng)
                start += 60.0
    return folder


def sensor_logger_session(folder: Path, label: int, *, start: float, rng, seconds: float = 10.0) -> None:
    """One recording as Sensor Logger writes it (the files har reads, and two it must not)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, offset, channels, scale in (
        ("TotalAcceleration", 0.0, slice(0, 3), STANDARD_GRAVITY),
        ("Accelerometer", 0.0, slice(0, 3), None),  # without gravity: must not be read as ax..az
        ("Gravity", 0.0, slice(0, 3), None),
        ("Gyroscope", 0.037, slice(3, 6), 1.0),
    ):
        t = _clock(rng, start + offset, seconds - offset, 50.0, jitter=0.003)
        time_ns = np.round(t * 1e9).astype(np.int64)
        values = signal(time_ns / 1e9 - start, label)[:, channels] * (scale or STANDARD_GRAVITY)
        if name == "Accelerometer":
            values[:, 2] -= STANDARD_GRAVITY
        if name == "Gravity":
            values = np.zeros_like(values) + [0.0, 0.0, STANDARD_GRAVITY]
        frame = pd.DataFrame({"time": time_ns, "seconds_elapsed": time_ns / 1e9 - start})
        for axis, index in (("z", 2), ("y", 1), ("x", 0)):  # the app writes z, y, x
            frame[axis] = values[:, index]
        frame.to_csv(folder / f"{name}.csv", index=False)
    (folder / "Metadata.csv").write_text(
        "version,device name,recording time,platform\n3,Pixel,2024,android\n"
    )


def sensor_logger_export(folder: Path, *, subjects=("anna", "ben", "cleo")) -> Path:
    """Recordings in `<activity>/<subject>_<date>` folders, two per subject and activity."""
    rng = np.random.default_rng(1)
    start = 1_709_288_525.0  # 2024-03-01T10:22:05 UTC
    for label, activity in enumerate(PHONE_ACTIVITIES):
        for subject in subjects:
            for _ in range(2):
                stamp = pd.Timestamp(start, unit="s").strftime("%Y-%m-%d_%H-%M-%S")
                sensor_logger_session(folder / activity / f"{subject}_{stamp}", label, start=start, rng=rng)
                start += 30.0
    return folder
