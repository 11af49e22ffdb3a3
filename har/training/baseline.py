"""The classical baseline reported beside every run: a random forest on window statistics.

A deep model has to beat this to earn its place. It sees exactly the model's real windows
(same subjects, same train-fraction, no synthetic windows) and is scored on the same val and
test windows; it runs in seconds and is cached per windows and settings, so a sweep or an
ablation fits it once per data split or fold.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from har.data import WindowSet, cache_key
from har.io import write_json
from har.metrics import classification_metrics
from har.models.statistics import sensor_triads, window_features  # noqa: F401  (defined once, there; har.training names both)


class ForestBaseline:
    """`fit_score(train, evaluate)`: fit on train windows, metrics on each evaluation split."""

    def __init__(
        self,
        *,
        name: str = "forest",
        n_estimators: int = 200,
        min_samples_leaf: int = 1,
        max_features: str | float = "sqrt",
        seed: int = 0,
        cache_dir: str | Path = "outputs/cache/baseline",
    ) -> None:
        self.settings = {
            "name": name,
            "n_estimators": int(n_estimators),
            "min_samples_leaf": int(min_samples_leaf),
            "max_features": max_features,
            "seed": int(seed),
        }
        self.cache_dir = Path(cache_dir)

    def fit_score(
        self,
        train: WindowSet,
        evaluate: dict[str, WindowSet],
        *,
        class_names: list[str],
        channels: list[str],
        threads: int | None = None,
    ) -> dict[str, Any]:
        """`baseline/<split>/<metric>` for every split in `evaluate`, fit on `train` (cached).

        The result also records the sha256 of every split it saw (`baseline/windows`), so a
        reader can check that the baseline and the model saw the same windows.
        """
        windows = {"train": train, **evaluate}
        digests = {name: w.sha256() for name, w in windows.items()}
        key = cache_key({"baseline": self.settings, "windows": digests, "classes": class_names})
        path = self.cache_dir / f"{key}.json"
        if path.is_file():
            return {**json.loads(path.read_text()), "baseline/cache_hit": True}
        from sklearn.ensemble import RandomForestClassifier

        started = time.perf_counter()
        forest = RandomForestClassifier(
            n_estimators=self.settings["n_estimators"],
            min_samples_leaf=self.settings["min_samples_leaf"],
            max_features=self.settings["max_features"],
            random_state=self.settings["seed"],
            n_jobs=threads or _threads(),
        )
        forest.fit(window_features(train.X, channels), train.y)
        metrics: dict[str, Any] = {}
        for name, split in evaluate.items():
            probabilities = np.zeros((len(split), len(class_names)))
            probabilities[:, forest.classes_] = forest.predict_proba(window_features(split.X, channels))
            scores = classification_metrics(name, split.y, probabilities, class_names)
            metrics.update({f"baseline/{k}": v for k, v in scores.items() if "/f1/" not in k})
        metrics["baseline/seconds"] = round(time.perf_counter() - started, 2)
        metrics["baseline/windows"] = {
            name: {"count": len(w), "sha256": digests[name]} for name, w in windows.items()
        }
        write_json(path, metrics)
        return {**metrics, "baseline/cache_hit": False}


def _threads() -> int:
    """The cores this process may use (a sweep worker's share, when it was given one)."""
    granted = os.environ.get("TF_NUM_INTRAOP_THREADS")
    return int(granted) if granted else len(os.sched_getaffinity(0))
