"""Epoch time with `strong` augmentation / epoch time with `none`, on watch, default model.

    python experiments/benchmarks/augment_cost.py [--epochs 3]

Both are measured in this one run, on the same machine, after a warm-up epoch each (graph
tracing excluded); the median epoch is used. Target: ratio <= 1.2.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time

import keras

from har.augment import build_pipeline
from har.config import compose
from har.data.dataset import load_windows
from har.data.pipeline import make_dataset
from har.train import build_model


def epoch_seconds(augment_name: str, epochs: int, cache_dir: str) -> float:
    cfg = compose(
        "train", [f"augment={augment_name}", "paths.output_dir=unused", f"paths.cache_dir={cache_dir}"]
    )
    keras.utils.set_random_seed(0)
    data = load_windows(cfg.data)
    model = build_model(cfg, data.input_shape, len(data.class_names))
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
    times = []
    for _ in range(epochs):
        started = time.perf_counter()
        model.fit(dataset, epochs=1, verbose=0)
        times.append(time.perf_counter() - started)
    keras.backend.clear_session()
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as cache_dir:
        none = epoch_seconds("none", args.epochs, cache_dir)
        strong = epoch_seconds("strong", args.epochs, cache_dir)
    print(f"epoch with augment=none:   {none:.2f} s (median of {args.epochs})")
    print(f"epoch with augment=strong: {strong:.2f} s")
    print(f"ratio strong / none: {strong / none:.2f}  (target <= 1.2)")


if __name__ == "__main__":
    main()
