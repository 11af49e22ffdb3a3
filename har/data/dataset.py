"""From a data config to normalised-ready, subject-split windows: `load_windows(cfg)`."""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from omegaconf import DictConfig, OmegaConf

from har.config import ConfigError, instantiate
from har.data import cache
from har.data.channels import DEFAULT_CHANNELS, check_channels, units_of
from har.data.movement_windows import IDLE, fit_for_windows, session_windows, windows_settings
from har.data.movements import DETECTOR_VERSION
from har.data.rates import most_common_rate
from har.data.recording import DataError, RecordingSet, WindowSet
from har.data.splits import SPLITS, missing_classes, split_subjects, subject_classes
from har.data.windowing import resample, samples_per


@dataclass(frozen=True)
class Normaliser:
    """Per-channel standardisation; statistics are fit on train windows only."""

    mean: np.ndarray  # (C,)
    std: np.ndarray  # (C,)

    @classmethod
    def fit(cls, X: np.ndarray, *, chunk: int = 1 << 20) -> Normaliser:
        """Mean and std per channel in float64, two passes over `chunk` samples at a time (a
        float64 copy of a large train split would cost twice its memory)."""
        flat = X.reshape(-1, X.shape[-1])  # (N*T, C), a view
        parts, zero, count = range(0, len(flat), chunk), np.zeros(flat.shape[1]), max(len(flat), 1)
        mean = sum((flat[i : i + chunk].sum(axis=0, dtype=np.float64) for i in parts), zero) / count
        std = np.sqrt(sum((((flat[i : i + chunk] - mean) ** 2).sum(axis=0) for i in parts), zero) / count)
        return cls(np.asarray(mean, np.float32), np.where(std > 1e-8, std, 1.0).astype(np.float32))

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
    channels: tuple[str, ...] = DEFAULT_CHANNELS
    units: dict[str, str] = field(default_factory=lambda: units_of(DEFAULT_CHANNELS))
    sessions: list[dict[str, Any]] = field(default_factory=list)  # one report per source session
    notes: list[str] = field(default_factory=list)
    detector: dict[str, Any] | None = None  # the fitted movement detector (movement windows)

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
        return (self.window, len(self.channels))

    def summary(self) -> dict:
        """Counts per split and class, and each split's share of the windows: what `har-data`
        prints and training logs."""
        per_split = {}
        total = max(1, sum(len(self.split(name)) for name in SPLITS))
        for name in SPLITS:
            windows = self.split(name)
            counts = Counter(windows.y.tolist())
            per_split[name] = {
                "subjects": self.subjects[name],
                "recordings": self.recordings_per_split.get(name, 0),
                "windows": len(windows),
                "share": round(len(windows) / total, 3),
                "classes": sum(1 for i in range(len(self.class_names)) if counts.get(i)),
                "sha256": windows.sha256(),
                "per_class": {c: counts.get(i, 0) for i, c in enumerate(self.class_names)},
            }
        return {
            "rate_hz": self.rate_hz,
            "window": self.window,
            "hop": self.hop,
            "channels": list(self.channels),
            "units": dict(self.units),
            "classes": self.class_names,
            "splits": per_split,
            **({"detector": self.detector} if self.detector is not None else {}),
        }


def _window_all(recordings: RecordingSet, data_cfg: DictConfig) -> dict[str, np.ndarray]:
    channels = _channel_index(recordings, data_cfg)
    rate, notes = _target_rate(recordings, data_cfg.rate_hz)
    window = samples_per(data_cfg.window_s, rate)
    hop = samples_per(data_cfg.hop_s, rate)
    resampled = [resample(recording, rate) for recording in recordings.recordings]
    kind, idle_class, events = windows_settings(data_cfg)
    detector = (
        fit_for_windows(recordings, resampled, _test_subjects(data_cfg, recordings), events)
        if kind == "movements"
        else None
    )

    class_names = list(recordings.class_names)
    if idle_class and IDLE not in class_names:
        class_names.append(IDLE)
    parts = []  # (recording on the target grid, y, starts): labels first, so X is allocated once
    rejected: Counter = Counter()
    for recording in resampled:
        y, starts = session_windows(
            recording,
            data_cfg,
            window,
            hop,
            detector=detector,
            channels=list(recordings.channels),
            units=recordings.units,
            idle_label=class_names.index(IDLE) if idle_class else None,
            rejected=rejected,
        )
        parts.append((recording, y, starts))
    if detector is not None:
        notes = notes + [_movement_note(detector, parts, rejected)]
    X = np.empty((sum(len(y) for _, y, _ in parts), window, len(channels)), dtype=np.float32)  # (N, T, C)
    offset = 0
    for recording, y, starts in parts:
        X[offset : offset + len(y)] = recording.signals[starts[:, None] + np.arange(window)][..., channels]
        offset += len(y)
    names = [recordings.channels[i] for i in channels]
    sessions = [{**s, "resampled_to": rate} if _session_rate(s) != rate else s for s in recordings.sessions]
    return {
        "X": X,
        "y": np.concatenate([y for _, y, _ in parts]).astype(np.int64),
        "groups": np.concatenate([np.full(len(y), r.subject) for r, y, _ in parts]).astype(str),
        "recording": np.concatenate([np.full(len(y), n) for n, (_, y, _) in enumerate(parts)]).astype(
            np.int64
        ),
        "recording_subjects": np.array([r.subject for r in recordings.recordings], dtype=str),
        "class_names": np.array(class_names, dtype=str),
        "channels": np.array(names, dtype=str),
        "rate_hz": np.array(rate),
        "about": np.array(  # what the source said about itself, for har-data and data.json
            json.dumps(
                {
                    "units": {c: recordings.units.get(c, "") for c in names},
                    "sessions": sessions,
                    "notes": recordings.notes + notes,
                    "subject_splits": recordings.subject_splits,
                    "detector": detector.to_dict() if detector is not None else None,
                }
            )
        ),
    }


def _test_subjects(data_cfg: DictConfig, recordings: RecordingSet) -> list[str]:
    """The test subjects known before windowing: the config's, else the source's declared ones."""
    named = [str(s) for s in data_cfg.split.get("test_subjects") or []]
    return named or sorted(s for s, split in recordings.subject_splits.items() if split == "test")


def _movement_note(detector, parts, rejected: Counter) -> str:
    fitted = detector.fitted
    how = (
        f"from the {fitted['from']} of {fitted['sessions']} non-test sessions (count error "
        f"{fitted['count_mae']:.2f}, {fitted['within1']:.0%} within +-1"
        + (f", event F1 {fitted['event_f1']:.3f})" if "event_f1" in fitted else ")")
        if fitted.get("from") in ("counts", "events")
        else f"from the signal statistics of {fitted.get('sessions')} non-test sessions (no counts known)"
    )
    dropped = "; ".join(f"{n} {why}" for why, n in sorted(rejected.items()) if n) or "none"
    return (
        f"data.windows=movements: {sum(len(y) for _, y, _ in parts)} windows aligned on movements; detector "
        f"{detector.signal} fitted {how}; rejected: {dropped}"
    )


def _channel_index(recordings: RecordingSet, data_cfg: DictConfig) -> list[int]:
    """Where each channel of `data.channels` is in the source's signals."""
    declared = check_channels(list(data_cfg.get("channels", DEFAULT_CHANNELS)))
    absent = [c for c in declared if c not in recordings.channels]
    if absent:
        raise DataError(
            f"data.channels: {', '.join(absent)} not in {recordings.source} "
            f"(its channels: {' '.join(recordings.channels)})"
        )
    return [recordings.channels.index(c) for c in declared]


def _session_rate(session: dict[str, Any]) -> float | None:
    return session.get("rate_hz", session.get("rate_found_hz"))


def _target_rate(recordings: RecordingSet, rate_hz: object) -> tuple[float, list[str]]:
    """`data.rate_hz`, or with `auto` the rate most recordings have, and a note naming the others."""
    if rate_hz != "auto":
        return float(rate_hz), []  # a number resamples on purpose: nothing to say
    rates = [r.rate_hz for r in recordings.recordings]
    rate = most_common_rate(rates)
    others: dict[float, list[str]] = {}
    for recording in recordings.recordings:
        if recording.rate_hz != rate:
            others.setdefault(recording.rate_hz, []).append(recording.name)
    if not others:
        return rate, []
    listing = "; ".join(f"from {r:g} Hz: {', '.join(names)}" for r, names in sorted(others.items()))
    return rate, [
        f"data.rate_hz=auto: {rate:g} Hz, the rate of {rates.count(rate)} of {len(rates)} recordings; "
        f"resampled to it {sum(map(len, others.values()))} recording(s) ({listing}); "
        "set data.rate_hz to choose another rate"
    ]


def _check_numbers(data_cfg: DictConfig) -> None:
    """The numeric keys of `data` are numbers (an override like `data.window_s=abc` is not)."""
    for key in ("rate_hz", "window_s", "hop_s", "min_purity", "train_fraction"):
        value = data_cfg.get(key)
        if key == "rate_hz" and value == "auto":
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value):
            expected = "a number, or auto (the rate most recordings have)" if key == "rate_hz" else "a number"
            raise ConfigError(f"data.{key}={value!r}: expected {expected}")
        if key in ("rate_hz", "window_s", "hop_s") and value <= 0:
            raise ConfigError(f"data.{key}={value!r}: expected a positive number")


# What the window cache holds depends on (the `data` config's keys); see `cache.CacheKeys`.
WINDOW_CACHE = cache.CacheKeys(
    "windows",
    depends_on=("source", "channels", "rate_hz", "window_s", "hop_s", "label_rule", "min_purity", "windows"),
    ignores={
        "name": "names the entry's file (<name>-<key>.npz) instead",
        "run_name": "names run folders only",
        "train_fraction": "applied to the cached windows, after loading",
        "split": "subjects are split after the cache: every split of a source shares its windows",
        "cache_dir": "where the entries are, not what they hold",
    },
)


def window_cache_key(data_cfg: DictConfig, source_fingerprint: str) -> str:
    """The window cache's key: the source's own fingerprint (its files and settings) in place
    of its config, and the windowing keys of `WINDOW_CACHE`."""
    shaping = OmegaConf.to_container(data_cfg, resolve=True)
    shaping.setdefault("channels", list(DEFAULT_CHANNELS))
    parts = {**WINDOW_CACHE.parts(shaping), "source": source_fingerprint}
    if (data_cfg.get("windows") or {}).get(
        "kind"
    ) == "movements":  # its detector is fitted without the test subjects
        parts["detector_fitted_without"] = [str(s) for s in data_cfg.split.get("test_subjects") or []]
        parts["detector_version"] = DETECTOR_VERSION
    return cache.cache_key(parts)


def load_windows(data_cfg: DictConfig, *, use_cache: bool = True) -> WindowedData:
    """Load a source, window it (through the cache), split by subject, fit the normaliser.

    Raises:
        DataError: for bad input, naming the file, row, column or key.
    """
    started = time.perf_counter()
    _check_numbers(data_cfg)
    source = instantiate(data_cfg.source, "data.source")
    key = window_cache_key(data_cfg, source.fingerprint())
    path = Path(data_cfg.cache_dir) / f"{data_cfg.name}-{key}.npz"
    arrays = cache.load(path) if use_cache else None
    hit = arrays is not None
    if arrays is None:
        arrays = _window_all(source.load(), data_cfg)
        _check_classes(arrays["class_names"].tolist(), data_cfg.name)  # before caching: nothing written
        if use_cache:
            cache.save(path, arrays)
    class_names = arrays["class_names"].tolist()
    about = json.loads(str(arrays["about"]))
    classes = subject_classes(arrays["groups"], arrays["y"])
    subjects = _split(arrays["recording_subjects"].tolist(), data_cfg.split, about["subject_splits"], classes)
    notes = about["notes"] + _coverage_notes(subjects, classes, class_names) + _share_notes(subjects, classes)
    for note in notes:
        print(f"note: {note}", file=sys.stderr, flush=True)
    rate = float(arrays["rate_hz"])
    split_of = {subject: name for name in SPLITS for subject in subjects[name]}
    data = WindowedData(
        **_empty_splits(arrays["X"].shape[1:]),
        class_names=class_names,
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
        channels=tuple(arrays["channels"].tolist()),
        units=about["units"],
        sessions=[{**session, "split": split_of.get(session["subject"])} for session in about["sessions"]],
        notes=notes,
        detector=about.get("detector"),
    )
    data = data.resplit(subjects)
    data.seconds = time.perf_counter() - started
    return data


def _empty_splits(shape: tuple[int, ...]) -> dict[str, WindowSet]:
    empty = WindowSet(np.zeros((0, *shape), np.float32), np.zeros(0, np.int64), np.zeros(0, str))
    return {name: empty for name in SPLITS}


def _check_classes(class_names: list[str], name: str) -> None:
    """A classifier of one class scores 1.000 and means nothing: refuse it."""
    if len(class_names) < 2:
        raise DataError(
            f"data={name}: {len(class_names)} class(es) in the data ({', '.join(class_names) or 'none'}); "
            "a classifier needs at least two"
        )


def _split(
    subjects: list[str], split_cfg: DictConfig, declared: dict[str, str], classes: dict
) -> dict[str, list[str]]:
    """Subjects per split: the config's lists, then the source's declared splits (the csv
    `split` column), then a seeded, class-aware draw for the rest."""
    declared = {s: split for s, split in declared.items() if s in set(subjects)}  # a skipped subject has none
    lists = {name: [str(s) for s in split_cfg.get(f"{name}_subjects") or []] for name in ("test", "val")}
    named = {s for listed in lists.values() for s in listed}
    for name in ("test", "val"):
        lists[name] = lists[name] or [s for s, split in declared.items() if split == name and s not in named]
    return split_subjects(
        subjects,
        test_subjects=lists["test"],
        val_subjects=lists["val"],
        train_subjects=[s for s, split in declared.items() if split == "train" and s not in named],
        test_fraction=split_cfg.test_fraction,
        val_fraction=split_cfg.val_fraction,
        seed=split_cfg.seed,
        classes=classes,
    )


def _coverage_notes(subjects: dict[str, list[str]], classes: dict, class_names: list[str]) -> list[str]:
    """A note for every evaluation split that lacks a class (train lacking one is an error)."""
    notes = []
    for name in ("val", "test"):
        missing = sorted(missing_classes(subjects[name], classes))
        if missing:
            notes.append(
                f"the {name} split (subjects {', '.join(subjects[name])}) has no windows of class(es) "
                f"{', '.join(class_names[i] for i in missing)}; {name} macro-F1 is over the classes present"
            )
    return notes


# A subject holding more than this share of every window, placed in test, leaves train with less
# than the rest: the split is legal, but a reader must hear of it.
MOST_OF_THE_DATA = 0.5


def _share_notes(subjects: dict[str, list[str]], classes: dict) -> list[str]:
    """One warning line for each test subject that holds most of the windows."""
    windows = {subject: sum(per_class.values()) for subject, per_class in classes.items()}
    total = max(1, sum(windows.values()))
    return [
        f"warning: subject {subject} holds {windows[subject] / total:.0%} of the windows and is in test: "
        f"train keeps {sum(windows.get(s, 0) for s in subjects['train']) / total:.0%}; declare "
        "data.split.test_subjects (or a split column) to choose otherwise"
        for subject in subjects["test"]
        if windows.get(subject, 0) / total > MOST_OF_THE_DATA
    ]


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
