"""har's model next to aeon's MiniRocket and InceptionTime, on the same subject splits, in one run.

    python experiments/benchmarks/peers.py --datasets watch hapt --inception-epochs watch=30 hapt=15
    python experiments/benchmarks/peers.py --datasets watch --har-run watch=outputs/runs/<run>
    python experiments/benchmarks/peers.py --datasets watch --har-override data.train_fraction=0.1 \
        --har-override trainer.epochs=2 --inception-epochs 2   # a smoke run

Needs the `bench` extra (aeon), which pins numpy<2.4 and pandas<3.1 through numba: run it from a
separate venv (README in this folder).

For each dataset: har's model is a finished run (`--har-run DATA=<run folder or export
bundle>`) or is trained here (`har-train data=DATA` plus `--har-override`s) and exported to
float16 TFLite by har's exporter. The peers are aeon 1.6's own estimators, with aeon's defaults
except `random_state` (`--seed`) and, for InceptionTime, `n_epochs` and `n_classifiers`
(aeon: 1500 and 5). They get the same windows: `load_windows` on that run's own data config
(same split by subject, same train windows) with har's train-fitted per-channel standardisation
(aeon's estimators do not normalise), transposed to aeon's (N, C, T). They fit on the train
subjects (the validation subjects only choose har's epoch); all are scored once on the test
subjects. Reported: test accuracy and macro-F1; training time (har: the run's `seconds`; the
peers: wall seconds of `fit`); size (har: the float16 .tflite; InceptionTime: its networks saved
as .keras files, without optimizer state; MiniRocket: the `nbytes` of the NumPy arrays its
prediction uses: the transform's parameters, the scaler's scales, the ridge coefficients and
intercepts); and single-window latency, p50 of `--latency-calls` calls (har: the bundle's
`Predictor` in LiteRT, 1 thread, raw samples in; MiniRocket: aeon's `predict_proba`, numba with
`n_jobs=1`; InceptionTime: its Keras networks called in one `tf.function`, TensorFlow's default
thread pools, since they are fixed when TensorFlow starts and the training uses both cores).
Writes `peers.md` and `peers.csv` to `--out`.

Cost on 2 CPU cores: one InceptionTime network epoch takes about 40 s on watch (3193 train
windows of 100 samples) and about 2.5x that on hapt (6131 of 128); aeon's default of 1500
epochs x 5 networks is out of reach here.
"""

from __future__ import annotations

import har

har.configure_process()  # an entry point: quiet TensorFlow, nothing written under ~

import argparse
import json
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from omegaconf import OmegaConf

from har.config import compose
from har.data import WindowedData, load_windows
from har.export import read_bundle
from har.export.evaluate import keras_latency
from har.export import Predictor
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
    from har.export import export
    from har.training import train

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


def _aeon_inputs(data: WindowedData) -> tuple[np.ndarray, np.ndarray]:
    """Train and test windows standardised by har's train-fitted normaliser, in aeon's layout."""
    return tuple(
        data.normaliser(split.X).transpose(0, 2, 1) for split in (data.train, data.test)
    )  # (N, C, T)


def _probabilities(model, X: np.ndarray, num_classes: int) -> np.ndarray:
    """aeon's class probabilities, whose columns are `model.classes_`; har's labels are 0..K-1."""
    if not np.array_equal(model.classes_, np.arange(num_classes)):
        raise ValueError(f"train labels {model.classes_} do not cover all {num_classes} classes")
    return model.predict_proba(X)


def evaluate_minirocket(dataset: str, data: WindowedData, calls: int, seed: int) -> Row:
    from aeon.classification.convolution_based import MiniRocketClassifier

    X_train, X_test = _aeon_inputs(data)
    started = time.perf_counter()
    model = MiniRocketClassifier(random_state=seed).fit(X_train, data.train.y)
    seconds = time.perf_counter() - started
    probabilities = _probabilities(model, X_test, len(data.class_names))  # one-hot: RidgeClassifierCV
    metrics = classification_metrics("test", data.test.y, probabilities, data.class_names)
    transform, scaler, ridge = (step for _, step in model.pipeline_.steps)
    state = [*transform.parameters, scaler.scale_, ridge.coef_, ridge.intercept_]
    return Row(
        dataset,
        "MiniRocket (aeon)",
        metrics["test/accuracy"],
        metrics["test/macro_f1"],
        seconds,
        sum(array.nbytes for array in state),
        _p50_ms(lambda: model.predict_proba(X_test[:1]), calls),
        f"aeon defaults ({transform.parameters[-1].size:,} features, ridge CV); size: arrays' nbytes; "
        "latency: predict_proba, numba n_jobs=1",
    )


def evaluate_inception_time(
    dataset: str, data: WindowedData, calls: int, epochs: int, members: int, seed: int
) -> Row:
    import keras
    from aeon.classification.deep_learning import InceptionTimeClassifier

    keras.utils.disable_interactive_logging()  # aeon's predict_proba would print progress bars
    X_train, X_test = _aeon_inputs(data)
    with tempfile.TemporaryDirectory() as folder:
        # file_path: where aeon keeps its lowest-train-loss checkpoint during fit (default: cwd).
        model = InceptionTimeClassifier(
            n_classifiers=members, n_epochs=epochs, random_state=seed, file_path=f"{folder}/"
        )
        started = time.perf_counter()
        model.fit(X_train, data.train.y)
        seconds = time.perf_counter() - started
        probabilities = _probabilities(model, X_test, len(data.class_names))
        networks = [member.model_ for member in model.classifiers_]  # Keras, (N, T, C) in
        size = 0
        for index, network in enumerate(networks):
            path = Path(folder) / f"network{index}.keras"
            network.save(path)
            size += path.stat().st_size
    metrics = classification_metrics("test", data.test.y, probabilities, data.class_names)
    inputs = keras.Input(networks[0].input_shape[1:])
    outputs = [network(inputs) for network in networks]
    ensemble = keras.Model(inputs, keras.layers.Average()(outputs) if len(outputs) > 1 else outputs[0])
    p50, _ = keras_latency(ensemble, X_test[:1].transpose(0, 2, 1), invocations=calls, warmup=20)
    return Row(
        dataset,
        f"InceptionTime (aeon, {members} network{'s' if members > 1 else ''})",
        metrics["test/accuracy"],
        metrics["test/macro_f1"],
        seconds,
        size,
        p50,
        f"{epochs} epochs (aeon: 1500 x 5 networks); {ensemble.count_params():,} parameters; "
        "latency: Keras tf.function, TF default threads",
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


def _per_dataset(values: list[str], datasets: list[str]) -> dict[str, int]:
    """`["30"]` -> 30 for every dataset; `["watch=30", "hapt=15"]` -> per dataset (all must be given)."""
    if len(values) == 1 and "=" not in values[0]:
        return dict.fromkeys(datasets, int(values[0]))
    given = {name: int(value) for name, value in (item.split("=", 1) for item in values)}
    if set(given) != set(datasets):
        raise SystemExit(f"--inception-epochs: give one N, or DATA=N for each of {datasets}")
    return given


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=["watch", "hapt"])
    parser.add_argument("--har-run", action="append", default=[], metavar="DATA=PATH")
    parser.add_argument("--har-override", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument(
        "--inception-epochs",
        nargs="+",
        default=["30"],
        metavar="[DATA=]N",
        help="epochs per network, for all datasets or per dataset (aeon: 1500)",
    )
    parser.add_argument("--inception-networks", type=int, default=1, help="n_classifiers (aeon: 5)")
    parser.add_argument("--seed", type=int, default=0, help="random_state of the peers")
    parser.add_argument("--latency-calls", type=int, default=300)
    parser.add_argument("--root", type=Path, default=Path("outputs/peers"), help="har runs and exports")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent, help="peers.md/.csv")
    args = parser.parse_args()
    if args.latency_calls < 200:
        parser.error("--latency-calls: at least 200")
    sources = dict(item.split("=", 1) for item in args.har_run)
    epochs = _per_dataset(args.inception_epochs, args.datasets)
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
        rows.append(evaluate_minirocket(dataset, data, args.latency_calls, args.seed))
        print(f"  {rows[-1]}", flush=True)
        rows.append(
            evaluate_inception_time(
                dataset, data, args.latency_calls, epochs[dataset], args.inception_networks, args.seed
            )
        )
        print(f"  {rows[-1]}", flush=True)
    command = "python experiments/benchmarks/peers.py " + " ".join(
        [f"--datasets {' '.join(args.datasets)}"]
        + [f"--har-run {r}" for r in args.har_run]
        + [f"--har-override {o}" for o in args.har_override]
        + [f"--inception-epochs {' '.join(args.inception_epochs)}"]
        + [f"--inception-networks {args.inception_networks} --seed {args.seed}"]
    )
    table = markdown(rows, command)
    write_text(args.out / "peers.md", table)
    write_csv(args.out / "peers.csv", [asdict(r) for r in rows])
    print(table)


if __name__ == "__main__":
    main()
