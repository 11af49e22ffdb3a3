"""From a data config to normalised-ready, subject-split windows: `load_windows(cfg)`."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
from omegaconf import DictConfig, OmegaConf

from har.config import ConfigError, instantiate
from har.data import cache
from har.data.recording import CHANNELS, UNITS, DataError, RecordingSet, WindowSet
from har.data.splits import SPLITS, split_subjects, subject_classes
from har.data.windowing import resample, samples_per, window_recording


@dataclass(frozen=True)
class Normaliser:
    """Per-channel standardisation; statistics are fit on train windows only."""

    mean: np.ndarray  # (C,)
    std: np.ndarray  # (C,)

    @classmethod
    def fit(cls, X: np.ndarray) -> Normaliser:
        flat = X.reshape(-1, X.shape[-1]).astype(np.float64)  # (N*T, C)
        std = flat.std(axis=0)
        return cls(flat.mean(axis=0).astype(np.float32), np.where(std > 1e-8, std, 1.0).astype(np.float32))

    def __call__(self, X: np.ndarray) -> np.ndarray:
        return ((X - self.mean) / self.std).astype(np.float32)

    def to_dict(self) -> dict[str, list[float]]:
        return {"mean": self.mean.tolist(), "std": self.std.tolist()}


@dataclass
class WindowedData:
    """Raw-unit windows per split, plus what is needed to normalise and describe them."""

    train: WindowSet
    val: WindowSet
    test: WindowSet
    class_names: list[str]
    subjects: dict[str, list[str]]
    normaliser: Normaliser
    rate_hz: float
    window: int
    hop: int
    recordings_per_split: dict[str, int] = field(default_factory=dict)
    pool: WindowSet | None = None  # every window of every subject, before any split
    recording_subjects: np.ndarray | None = None  # (R,) the subject of each recording
    train_fraction: float = 1.0
    seed: int = 0
    cache_path: Path | None = None
    cache_hit: bool = False
    seconds: float = 0.0

    def split(self, name: str) -> WindowSet:
        return {"train": self.train, "val": self.val, "test": self.test}[name]

    def resplit(self, subjects: dict[str, list[str]], *, empty_val: bool = False) -> WindowedData:
        """The same windows split by other subjects, with a normaliser fit on the new train.

        How folds and refits are made: `train_fraction` applies to the new train split, and
        nothing is read from disk again.

        Args:
            subjects: train, val and test subject lists (disjoint).
            empty_val: allow a val split without subjects (a refit on every non-test subject).

        Raises:
            DataError: a split without windows, or a class without train windows.
        """
        if self.pool is None:
            raise ValueError("these windows were not loaded by load_windows: nothing to resplit")
        splits = {name: self.pool.subset(np.isin(self.pool.groups, subjects[name])) for name in SPLITS}
        splits["train"] = _reduce_train(splits["train"], self.train_fraction, self.seed)
        for name, windows in splits.items():
            if len(windows) == 0 and not (name == "val" and empty_val and not subjects[name]):
                raise DataError(
                    f"data.split: split {name!r} (subjects {', '.join(subjects[name])}) has no windows"
                )
        missing = [c for i, c in enumerate(self.class_names) if not (splits["train"].y == i).any()]
        if missing:
            raise DataError(
                f"class(es) {', '.join(missing)} have no windows in train (subjects "
                f"{', '.join(subjects['train'])}); change data.split or drop the class"
            )
        recordings = self.recording_subjects
        return replace(
            self,
            **splits,
            subjects={name: list(subjects[name]) for name in SPLITS},
            normaliser=Normaliser.fit(splits["train"].X),
            recordings_per_split={n: int(np.isin(recordings, subjects[n]).sum()) for n in SPLITS},
        )

    @property
    def input_shape(self) -> tuple[int, int]:
        return (self.window, len(CHANNELS))

    def summary(self) -> dict:
        """Counts per split and class: what `har-data` prints and training logs."""
        per_split = {}
        for name in SPLITS:
            windows = self.split(name)
            counts = Counter(windows.y.tolist())
            per_split[name] = {
                "subjects": self.subjects[name],
                "recordings": self.recordings_per_split.get(name, 0),
                "windows": len(windows),
                "sha256": windows.sha256(),
                "per_class": {c: counts.get(i, 0) for i, c in enumerate(self.class_names)},
            }
        return {
            "rate_hz": self.rate_hz,
            "window": self.window,
            "hop": self.hop,
            "channels": list(CHANNELS),
            "units": UNITS,
            "classes": self.class_names,
            "splits": per_split,
        }


def _window_all(recordings: RecordingSet, data_cfg: DictConfig) -> dict[str, np.ndarray]:
    rate = float(data_cfg.rate_hz)
    window = samples_per(data_cfg.window_s, rate)
    hop = samples_per(data_cfg.hop_s, rate)
    xs, ys, groups, recording_index = [], [], [], []
    for number, recording in enumerate(recordings.recordings):
        recording = resample(recording, rate)
        X, y, _ = window_recording(
            recording, window, hop, rule=data_cfg.label_rule, min_purity=data_cfg.min_purity
        )
        xs.append(X)
        ys.append(y)
        groups.append(np.full(len(y), recording.subject))
        recording_index.append(np.full(len(y), number))
    return {
        "X": np.concatenate(xs).astype(np.float32),  # (N, T, C)
        "y": np.concatenate(ys).astype(np.int64),
        "groups": np.concatenate(groups).astype(str),
        "recording": np.concatenate(recording_index).astype(np.int64),
        "recording_subjects": np.array([r.subject for r in recordings.recordings], dtype=str),
        "class_names": np.array(recordings.class_names, dtype=str),
    }


def _check_numbers(data_cfg: DictConfig) -> None:
    """The numeric keys of `data` are numbers (an override like `data.window_s=abc` is not)."""
    for key in ("rate_hz", "window_s", "hop_s", "min_purity", "train_fraction"):
        value = data_cfg.get(key)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value):
            raise ConfigError(f"data.{key}={value!r}: expected a number")
        if key in ("rate_hz", "window_s", "hop_s") and value <= 0:
            raise ConfigError(f"data.{key}={value!r}: expected a positive number")


def load_windows(data_cfg: DictConfig, *, use_cache: bool = True) -> WindowedData:
    """Load a source, window it (through the cache), split by subject, fit the normaliser.

    Raises:
        DataError: for bad input, naming the file, row, column or key.
    """
    started = time.perf_counter()
    _check_numbers(data_cfg)
    source = instantiate(data_cfg.source, "data.source")
    shaping = OmegaConf.to_container(data_cfg, resolve=True)
    key = cache.cache_key(
        {
            "source": source.fingerprint(),
            **{k: shaping[k] for k in ("rate_hz", "window_s", "hop_s", "label_rule", "min_purity")},
        }
    )
    path = Path(data_cfg.cache_dir) / f"{data_cfg.name}-{key}.npz"
    arrays = cache.load(path) if use_cache else None
    hit = arrays is not None
    if arrays is None:
        arrays = _window_all(source.load(), data_cfg)
        if use_cache:
            cache.save(path, arrays)
    subjects = split_subjects(
        arrays["recording_subjects"].tolist(),
        test_subjects=data_cfg.split.test_subjects,
        val_subjects=data_cfg.split.val_subjects,
        test_fraction=data_cfg.split.test_fraction,
        val_fraction=data_cfg.split.val_fraction,
        seed=data_cfg.split.seed,
        classes=subject_classes(arrays["groups"], arrays["y"]),
    )
    rate = float(data_cfg.rate_hz)
    data = WindowedData(
        **_empty_splits(arrays["X"].shape[1:]),
        class_names=arrays["class_names"].tolist(),
        subjects=subjects,
        normaliser=Normaliser(np.zeros(0, np.float32), np.ones(0, np.float32)),
        rate_hz=rate,
        window=samples_per(data_cfg.window_s, rate),
        hop=samples_per(data_cfg.hop_s, rate),
        pool=WindowSet(arrays["X"], arrays["y"], arrays["groups"]),
        recording_subjects=arrays["recording_subjects"],
        train_fraction=float(data_cfg.train_fraction),
        seed=int(data_cfg.split.seed),
        cache_path=path if use_cache else None,
        cache_hit=hit,
    )
    data = data.resplit(subjects)
    data.seconds = time.perf_counter() - started
    return data


def _empty_splits(shape: tuple[int, ...]) -> dict[str, WindowSet]:
    empty = WindowSet(np.zeros((0, *shape), np.float32), np.zeros(0, np.int64), np.zeros(0, str))
    return {name: empty for name in SPLITS}


def _reduce_train(train: WindowSet, fraction: float, seed: int) -> WindowSet:
    """Keep `fraction` of each class's train windows (seeded), for reduced-data studies."""
    if not 0 < fraction <= 1:
        raise DataError(f"data.train_fraction={fraction}: expected a value in (0, 1]")
    if fraction == 1:
        return train
    rng = np.random.default_rng(seed)
    keep = np.zeros(len(train), dtype=bool)
    for label in np.unique(train.y):
        index = np.flatnonzero(train.y == label)
        chosen = rng.choice(index, size=max(1, int(round(fraction * len(index)))), replace=False)
        keep[chosen] = True
    return train.subset(keep)
