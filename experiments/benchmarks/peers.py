"""har's model next to MiniRocket and InceptionTime, on the same subject splits, in one run.

    python experiments/benchmarks/peers.py --datasets watch hapt --inception-epochs 40 --inception-members 1
    python experiments/benchmarks/peers.py --datasets watch --har-run watch=outputs/runs/<run>
    python experiments/benchmarks/peers.py --datasets watch --har-override data.train_fraction=0.1 \
        --har-override trainer.epochs=2 --inception-epochs 2 --inception-members 1   # a smoke run

For each dataset: har's model is a finished run (`--har-run DATA=<run folder or export
bundle>`) or is trained here (`har-train data=DATA` plus `--har-override`s) and exported to
float16 TFLite by har's exporter. The peers get the same windows: `load_windows` on that run's
own data config (same split by subject, same train windows, har's train-fitted per-channel
standardisation); they fit on the train subjects (the validation subjects only choose har's
epoch). All are scored once on the test subjects. Reported: test accuracy and macro-F1,
training time (har: the run's `seconds`), size on disk (har: the float16 .tflite; InceptionTime:
its saved .keras; MiniRocket: its pickle), and single-window latency, p50 of `--latency-calls`
calls (har: the bundle's `Predictor` in LiteRT, 1 thread, raw samples in; the peers: the
framework they run in, NumPy or Keras, normalised window in). The peers are re-implementations
(`peer_models.py` says why, and what they follow). Writes `peers.md` and `peers.csv` to `--out`.

Cost on 2 CPU cores: one InceptionTime network epoch takes about 40 s on watch (3193 train
windows of 100 samples) and about 2.5x that on hapt (6131 of 128), so the ensemble costs
members x epochs x that; aeon's 1500 epochs x 5 networks is out of reach here.
"""

from __future__ import annotations

import argparse
import json
import pickle
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from omegaconf import OmegaConf
from peer_models import MiniRocket, inception_time

from har.config import compose
from har.data.dataset import WindowedData, load_windows
from har.export.bundle import read_bundle
from har.export.evaluate import keras_latency
from har.export.inference import Predictor
from har.io import write_csv, write_text
from har.metrics import classification_metrics


@dataclass
class Row:
    dataset: str
    model: str
    accuracy: float
    macro_f1: float
    train_s: float
    size_bytes: int
    latency_p50_ms: float
    notes: str


def _p50_ms(call, calls: int) -> float:
    for _ in range(min(20, calls)):  # warm-up
        call()
    times = []
    for _ in range(calls):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return float(np.median(times) * 1000)


def har_bundle(dataset: str, source: str | None, overrides: list[str], root: Path) -> Path:
    """An export bundle of har's model: given, exported from a given run, or trained here."""
    from har.export.exporter import export
    from har.train import train

    if source and (Path(source) / "manifest.json").is_file():
        return Path(source)
    run_dir = Path(source) if source else root / dataset / "har_run"
    if not source and not (run_dir / "metrics.json").is_file():
        train(
            compose(
                "train",
                [
                    f"data={dataset}",
                    "logger=none",
                    f"paths.root={root}",
                    f"paths.output_dir={run_dir}",
                    *overrides,
                ],
            )
        )
    export_cfg = compose(
        "export",
        [
            f"run_dir={run_dir}",
            "logger=none",
            f"paths.output_dir={root / dataset / 'har_export'}",
            "variants=[float16]",
            "latency.invocations=200",
        ],
    )
    return export(export_cfg).bundle


def evaluate_har(dataset: str, bundle_dir: Path, calls: int) -> tuple[Row, WindowedData]:
    """har's float16 model through the deployed path, and the windows of its run."""
    bundle = read_bundle(bundle_dir)
    run_dir = Path(bundle.manifest["source"]["run_dir"])
    data = load_windows(OmegaConf.load(run_dir / "config.yaml").data)
    predictor = Predictor(bundle, "float16", num_threads=1)
    probabilities = np.stack([predictor.predict_window(window) for window in data.test.X])  # raw units in
    metrics = classification_metrics("test", data.test.y, probabilities, data.class_names)
    run_metrics = json.loads((run_dir / "metrics.json").read_text())
    row = Row(
        dataset,
        f"har {bundle.manifest['source']['model']} (float16 TFLite)",
        metrics["test/accuracy"],
        metrics["test/macro_f1"],
        float(run_metrics["seconds"]),
        (bundle_dir / "model_float16.tflite").stat().st_size,
        _p50_ms(lambda: predictor.predict_window(data.test.X[0]), calls),
        f"{run_metrics['epochs_trained']} epochs, best {run_metrics['best_epoch']}; LiteRT, 1 thread",
    )
    return row, data


def evaluate_minirocket(dataset: str, data: WindowedData, calls: int, num_features: int) -> Row:
    X_train, X_test = data.normaliser(data.train.X), data.normaliser(data.test.X)  # (N, T, C)
    started = time.perf_counter()
    model = MiniRocket(num_features=num_features).fit(X_train, data.train.y)
    seconds = time.perf_counter() - started
    metrics = classification_metrics("test", data.test.y, model.decision_function(X_test), data.class_names)
    return Row(
        dataset,
        "MiniRocket (re-implemented)",
        metrics["test/accuracy"],
        metrics["test/macro_f1"],
        seconds,
        len(pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)),
        _p50_ms(lambda: model.decision_function(X_test[:1]), calls),
        f"{num_features} features, ridge CV; NumPy",
    )


def evaluate_inception_time(dataset: str, data: WindowedData, calls: int, epochs: int, members: int) -> Row:
    X_train, X_test = data.normaliser(data.train.X), data.normaliser(data.test.X)
    started = time.perf_counter()
    model = inception_time(X_train, data.train.y, len(data.class_names), epochs=epochs, members=members)
    seconds = time.perf_counter() - started
    probabilities = model.predict(X_test, batch_size=256, verbose=0)
    metrics = classification_metrics("test", data.test.y, probabilities, data.class_names)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "inception_time.keras"
        model.save(path)
        size = path.stat().st_size
    p50, _ = keras_latency(model, X_test[:1], invocations=calls, warmup=20)
    return Row(
        dataset,
        f"InceptionTime (re-implemented, {members} networks)",
        metrics["test/accuracy"],
        metrics["test/macro_f1"],
        seconds,
        size,
        p50,
        f"{epochs} epochs each (aeon default 1500); Keras, {model.count_params():,} parameters",
    )


def markdown(rows: list[Row], command: str) -> str:
    lines = [
        "# har vs peers, same subject splits",
        "",
        f"`{command}`",
        "",
        "| dataset | model | test accuracy | test macro-F1 | train s | size kB | latency p50 ms | notes |",
        "|---|---|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {r.dataset} | {r.model} | {r.accuracy:.4f} | {r.macro_f1:.4f} | {r.train_s:.0f} | "
        f"{r.size_bytes / 1024:,.0f} | {r.latency_p50_ms:.3f} | {r.notes} |"
        for r in rows
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=["watch", "hapt"])
    parser.add_argument("--har-run", action="append", default=[], metavar="DATA=PATH")
    parser.add_argument("--har-override", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--inception-epochs", type=int, default=40, help="per network; aeon: 1500")
    parser.add_argument("--inception-members", type=int, default=5, help="networks in the ensemble")
    parser.add_argument("--minirocket-features", type=int, default=10_000)
    parser.add_argument("--latency-calls", type=int, default=300)
    parser.add_argument("--root", type=Path, default=Path("outputs/peers"), help="har runs and exports")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent, help="peers.md/.csv")
    args = parser.parse_args()
    if args.latency_calls < 200:
        parser.error("--latency-calls: at least 200")
    sources = dict(item.split("=", 1) for item in args.har_run)
    if not set(sources) <= set(args.datasets):
        parser.error(f"--har-run {sorted(set(sources) - set(args.datasets))}: not among --datasets")
    rows = []
    for dataset in args.datasets:
        print(f"== {dataset}", flush=True)
        bundle = har_bundle(dataset, sources.get(dataset), args.har_override, args.root.resolve())
        row, data = evaluate_har(dataset, bundle, args.latency_calls)
        rows.append(row)
        print(
            f"{len(data.train)} train / {len(data.test)} test windows; subjects {data.subjects}", flush=True
        )
        rows.append(evaluate_minirocket(dataset, data, args.latency_calls, args.minirocket_features))
        print(f"  {rows[-1]}", flush=True)
        rows.append(
            evaluate_inception_time(
                dataset, data, args.latency_calls, args.inception_epochs, args.inception_members
            )
        )
        print(f"  {rows[-1]}", flush=True)
    command = "python experiments/benchmarks/peers.py " + " ".join(
        [f"--datasets {' '.join(args.datasets)}"]
        + [f"--har-run {r}" for r in args.har_run]
        + [f"--har-override {o}" for o in args.har_override]
        + [f"--inception-epochs {args.inception_epochs} --inception-members {args.inception_members}"]
    )
    table = markdown(rows, command)
    write_text(args.out / "peers.md", table)
    write_csv(args.out / "peers.csv", [asdict(r) for r in rows])
    print(table)


if __name__ == "__main__":
    main()
