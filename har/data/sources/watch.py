"""`watch`: seglearn's smartwatch shoulder-exercise dataset, read from the seglearn wheel."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from har.data._package_files import WATCH_SHA256, package_file, read_watch_file
from har.data.recording import Recording, RecordingSet

# seglearn's short labels, in its order: pendulum, abduction, forward elevation, internal
# rotation, external rotation, trapezius extension, upright row.
CLASS_NAMES = ["PEN", "ABD", "FEL", "IR", "ER", "TRAP", "ROW"]
RATE_HZ = 50.0
# Every recording is one exercise repeated 20 times: seglearn's watch data are 10 subjects of the
# SPAR data set (Burns et al. 2018), whose README says "Each file represents a single activity
# being repeated 20 times" (duration / autocorrelation period gives a median of 20.0 over the 140).
REPETITIONS = 20


class WatchSource:
    """10 subjects x 7 exercises x both arms = 140 recordings, 50 Hz, accel in g, gyro in rad/s."""

    def __init__(self, *, path: str | None = None) -> None:
        self.path = path

    def _file(self) -> Path:
        return Path(self.path) if self.path else package_file("seglearn", "seglearn/data/watch_dataset.npy")

    def fingerprint(self) -> str:
        return f"watch:{WATCH_SHA256}"

    def load(self) -> RecordingSet:
        path = self._file()
        raw = read_watch_file(path)
        recordings = []
        for index, (signals, label, subject, side) in enumerate(
            zip(raw["X"], raw["y"], raw["subject"], raw["side"])
        ):
            signals = np.asarray(signals, dtype=np.float32)  # (n, 6) ax ay az wx wy wz
            recordings.append(
                Recording(
                    signals=signals,
                    labels=np.full(len(signals), int(label), dtype=np.int64),
                    rate_hz=RATE_HZ,
                    subject=str(int(subject)),
                    name=f"{path.name}[{index}] subject {int(subject)} "
                    f"{'right' if side else 'left'} {CLASS_NAMES[int(label)]}",
                    count=REPETITIONS,
                )
            )
        return RecordingSet(recordings, list(CLASS_NAMES), source="watch")
