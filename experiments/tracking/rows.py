"""The rows of results.csv: which streams, which bundle, which events, which decoder settings.

Shared by `tune.py` (train/validation subjects) and `evaluate.py` (test subjects, once).
Bundles are found under `<root>/tracking/<name>_export/bundle` (see run.sh).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from har.config import compose
from har.data.sources.hapt import ACTIVITIES, UCI_HAR_TEST_SUBJECTS
from har.stream.sources import csv_file, dataset_streams, simulator

HERE = Path(__file__).parent
TUNED = HERE / "tuned.yaml"
HAPT_NON_TEST = [s for s in range(1, 31) if s not in UCI_HAR_TEST_SUBJECTS]
STRIKES_NON_TEST = [1, 2, 3, 4, 5, 6]  # conf/data/strikes_sim.yaml: train 1-5, validation 6
CHUNK = 5  # samples per chunk: 0.1 s at 50 Hz, a BLE bridge's packet rate

# What is scored: the classes that are not events, and the onset collar.
EVENTS = {
    "transitions": {"idle": list(ACTIVITIES), "collar_s": 1.0},
    "activities": {"idle": [], "collar_s": 1.0},
    "strikes": {"idle": ["idle"], "collar_s": 0.15},
}


@dataclass(frozen=True)
class Row:
    dataset: str  # hapt | strikes | csv
    events: str  # transitions | activities | strikes
    decoder: str  # runs | viterbi | thresholds
    bundle: str  # hapt12 | hapt6 | strikes
    baseline: tuple[str, ...] = field(default=())  # fixed overrides (today's settings for runs)

    @property
    def key(self) -> str:
        """The name of its tuned settings; the csv recording uses hapt's (it is hapt, written out)."""
        dataset = "hapt" if self.dataset == "csv" else self.dataset
        return f"{dataset}/{self.events}/{self.decoder}"


ROWS = [
    Row("hapt", "transitions", "runs", "hapt12", ("smoothing=moving_average",)),
    Row("hapt", "transitions", "viterbi", "hapt12", ("decoder.lag=4",)),
    Row("hapt", "transitions", "thresholds", "hapt12"),
    Row("hapt", "activities", "runs", "hapt6", ("smoothing=moving_average", "decoder.min_duration_s=2.56")),
    Row("hapt", "activities", "viterbi", "hapt6", ("decoder.lag=4",)),
    Row("strikes", "strikes", "runs", "strikes", ("smoothing=moving_average",)),
    Row("strikes", "strikes", "viterbi", "strikes", ("decoder.lag=5",)),
    Row("strikes", "strikes", "thresholds", "strikes"),
    Row("csv", "transitions", "thresholds", "hapt12"),
    Row("csv", "activities", "viterbi", "hapt6", ("decoder.lag=4",)),
]


def bundle_path(root: str, name: str) -> Path:
    return Path(root) / "tracking" / f"{name}_export" / "bundle"


def track_config(row: Row, root: str, overrides: list[str] = ()):
    """The composed `track` config of a row: its decoder, events, baseline and `overrides`."""
    events = EVENTS[row.events]
    return compose(
        "track",
        [
            f"bundle={bundle_path(root, row.bundle)}",
            f"decoder={row.decoder}",
            "smoothing=none",
            f"events.idle=[{','.join(events['idle'])}]",
            f"events.collar_s={events['collar_s']}",
            f"chunk={CHUNK}",
            "paths.output_dir=unused",
            *row.baseline,
            *overrides,
        ],
    )


def tuned_overrides(row: Row) -> list[str]:
    """What tune.py chose for this row (nothing for untuned rows)."""
    if not TUNED.is_file():
        return []
    return list((yaml.safe_load(TUNED.read_text()) or {}).get(row.key, []))


def streams(row: Row, root: str, *, test: bool) -> list:
    """The row's streams: test subjects (or fresh simulated sessions) or the non-test subjects."""
    if row.dataset == "hapt":
        subjects = UCI_HAR_TEST_SUBJECTS if test else HAPT_NON_TEST
        return dataset_streams(
            data="hapt", subjects=subjects, overrides=["data.source.include_transitions=true"]
        )
    if row.dataset == "strikes":
        if test:  # fresh sessions, seeds never trained or tuned on
            return [simulator(session_s=120, seed=100 + i, subject=1 + i) for i in range(5)]
        return dataset_streams(data="strikes_sim", subjects=STRIKES_NON_TEST)
    if not test:
        raise ValueError("the csv recording is a test set only (its tuning is hapt's)")
    folder = Path(root) / "tracking" / "hapt_csv"
    return [
        csv_file(path=str(path), rate_hz=50, annotations=str(folder / "annotations.csv"))
        for path in sorted(folder.glob("*.csv"))
        if path.name != "annotations.csv"
    ]
