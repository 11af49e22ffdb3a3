"""From a data config to normalised-ready, subject-split windows: `load_windows(cfg)`."""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from omegaconf import DictConfig, OmegaConf

from har.config import ConfigError, instantiate
from har.data import cache
from har.data.recording import CHANNELS, UNITS, DataError, RecordingSet, WindowSet
from har.data.splits import SPLITS, split_subjects, subject_classes
from har.data.windowing import resample, samples_per, window_recording


def windows_sha256(X: np.ndarray, y: np.ndarray) -> str:
    """Fingerprint of a window set's content (windows and labels), as `data.json` records it."""
    digest = hashlib.sha256(np.ascontiguousarray(X, dtype=np.float32).tobytes())
    digest.update(np.ascontiguousarray(y, dtype=np.int64).tobytes())
    return digest.hexdigest()


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
    cache_path: Path | None = None
    cache_hit: bool = False
    seconds: float = 0.0

    def split(self, name: str) -> WindowSet:
        return {"train": self.train, "val": self.val, "test": self.test}[name]

    @property
    def input_shape(self) -> tuple[int, int]:
        return (self.window, len(CHANNELS))

    def summary(self) -> dict:
        """Counts per split and class (and each split's fingerprint): what `har-data` prints,
        training logs and `data.json` keeps, so that an export can tell the data changed."""
        per_split = {}
        for name in SPLITS:
            windows = self.split(name)
            counts = Counter(windows.y.tolist())
            per_split[name] = {
                "subjects": self.subjects[name],
                "recordings": self.recordings_per_split.get(name, 0),
                "windows": len(windows),
                "per_class": {c: counts.get(i, 0) for i, c in enumerate(self.class_names)},
                "sha256": windows_sha256(windows.X, windows.y),
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
    class_names = arrays["class_names"].tolist()
    subjects = split_subjects(
        arrays["recording_subjects"].tolist(),
        test_subjects=data_cfg.split.test_subjects,
        val_subjects=data_cfg.split.val_subjects,
        test_fraction=data_cfg.split.test_fraction,
        val_fraction=data_cfg.split.val_fraction,
        seed=data_cfg.split.seed,
        classes=subject_classes(arrays["groups"], arrays["y"]),
    )
    everything = WindowSet(arrays["X"], arrays["y"], arrays["groups"])
    splits = {name: everything.subset(np.isin(everything.groups, subjects[name])) for name in SPLITS}
    splits["train"] = _reduce_train(splits["train"], float(data_cfg.train_fraction), int(data_cfg.split.seed))
    for name, windows in splits.items():
        if len(windows) == 0:
            raise DataError(
                f"data.split: split {name!r} (subjects {', '.join(subjects[name])}) has no windows"
            )
    missing = [c for i, c in enumerate(class_names) if not (splits["train"].y == i).any()]
    if missing:
        raise DataError(
            f"class(es) {', '.join(missing)} have no windows in train (subjects "
            f"{', '.join(subjects['train'])}); change data.split or drop the class"
        )
    recording_subjects = arrays["recording_subjects"]
    rate = float(data_cfg.rate_hz)
    return WindowedData(
        **splits,
        class_names=class_names,
        subjects=subjects,
        normaliser=Normaliser.fit(splits["train"].X),
        rate_hz=rate,
        window=samples_per(data_cfg.window_s, rate),
        hop=samples_per(data_cfg.hop_s, rate),
        recordings_per_split={n: int(np.isin(recording_subjects, subjects[n]).sum()) for n in SPLITS},
        cache_path=path if use_cache else None,
        cache_hit=hit,
        seconds=time.perf_counter() - started,
    )


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
