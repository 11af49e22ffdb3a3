"""Epoch time with `strong` augmentation / epoch time with `none`, on watch, default model.

    python experiments/benchmarks/augment_cost.py [--epochs 3]

Both are measured in this one run, on the same machine, after a warm-up epoch each (graph
tracing excluded), alternating epochs of the two; the median epoch is used. Target <= 1.2.
"""

from __future__ import annotations

import har

har.configure_process()  # an entry point: quiet TensorFlow, nothing written under ~

import argparse
import statistics
import tempfile
import time

import keras

from har.augment import build_pipeline
from har.config import compose
from har.data import load_windows
from har.data import make_dataset
from har.training.fit import build_model


def make_run(augment_name: str, cache_dir: str):
    """A compiled default model and its training dataset for `augment_name`, warmed up."""
    cfg = compose(
        "train", [f"augment={augment_name}", "paths.output_dir=unused", f"paths.cache_dir={cache_dir}"]
    )
    keras.utils.set_random_seed(0)
    data = load_windows(cfg.data)
    model = build_model(cfg, data)
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    dataset = make_dataset(
        data.train,
        data.normaliser,
        batch_size=cfg.trainer.batch_size,
        training=True,
        augment=build_pipeline(cfg.augment),
        num_classes=len(data.class_names),
    )
    model.fit(dataset, epochs=1, verbose=0)  # warm-up: tracing and first-epoch costs
    return model, dataset


def timed_epoch(model, dataset) -> float:
    started = time.perf_counter()
    model.fit(dataset, epochs=1, verbose=0)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as cache_dir:
        runs = {name: make_run(name, cache_dir) for name in ("none", "strong")}
        times: dict[str, list[float]] = {name: [] for name in runs}
        for _ in range(args.epochs):  # alternate, so drift in machine load hits both alike
            for name, (model, dataset) in runs.items():
                times[name].append(timed_epoch(model, dataset))
    none, strong = statistics.median(times["none"]), statistics.median(times["strong"])
    print(f"epoch with augment=none:   {none:.2f} s (median of {args.epochs})")
    print(f"epoch with augment=strong: {strong:.2f} s")
    print(f"ratio strong / none: {strong / none:.2f}  (target <= 1.2)")


if __name__ == "__main__":
    main()
