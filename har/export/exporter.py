"""`export(cfg)` / `har-export`: a trained run -> compared TFLite variants -> deployment bundle.

    har-export run_dir=outputs/runs/<run>

Converts the best checkpoint to every variant in `export.variants`, evaluates each on the
run's own test split (as its `data.json` recorded it, with its normaliser; see `run`) in
LiteRT next to Keras, applies the accuracy guard, and writes the bundle
(`model_<variant>.tflite`, `manifest.json`, `comparison.md`, `comparison.json`).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keras
import numpy as np
from omegaconf import DictConfig

import har
from har.config import ConfigError, check_experiment, instantiate, to_container
from har.export import evaluate
from har.export.bundle import write_bundle
from har.export.convert import make_interpreter, run_tflite, to_tflite
from har.export.ensemble import build_ensemble, fold_dirs
from har.export.report import comparison_markdown, print_table
from har.export.run import Run, load_run, source_run
from har.training import RunFolder


class ExportGuardError(RuntimeError):
    """A guarded variant lost more accuracy than `export.max_accuracy_drop` allows."""

    exit_code = 3  # `har-export` exits 3: the export ran, its result failed the guard


@dataclass
class ExportResult:
    bundle: Path
    reports: list[evaluate.VariantReport]


def export(cfg: DictConfig) -> ExportResult:
    """Convert, compare and bundle the model of `cfg.run_dir` (or of `cfg.study`'s best trial).

    Raises:
        ConfigError: no such run, or a variant name that does not exist.
        DataError: the run's data changed since it was trained (see `run.run_windows`).
        ConversionError: the model needs Select TF ops.
        ExportGuardError: a guarded variant lost too much accuracy (nothing is written).
    """
    check_experiment(cfg, "har-export")
    run = load_run(source_run(cfg), cache_dir=cfg.cache_dir)
    data = run.data
    X_test = data.normaliser(data.test.X)  # (N, T, C) exactly as training evaluated it
    print(
        f"exporting {run.run_dir} ({run.model.count_params():,} parameters) on {len(X_test)} test windows",
        flush=True,
    )
    reports, files = _compare(run, X_test, cfg)
    print_table(reports)
    _guard(reports, cfg.guard)
    manifest = _manifest(run, files)
    manifest["source"]["study"] = cfg.study
    comparison = {
        "run_dir": str(run.run_dir),
        "test_windows": len(X_test),
        "subjects": data.subjects,
        "reports": [r.to_dict() for r in reports],
    }
    files["comparison.json"] = (json.dumps(comparison, indent=2) + "\n").encode()
    files["comparison.md"] = comparison_markdown(reports, data.subjects, len(X_test), run.run_dir).encode()
    bundle = write_bundle(Path(cfg.bundle_dir), files, manifest)
    _log(cfg, bundle, reports, run.run_dir)
    print(f"bundle: {bundle}", flush=True)
    return ExportResult(bundle, reports)


def _compare(
    run: Run, X_test: np.ndarray, cfg: DictConfig
) -> tuple[list[evaluate.VariantReport], dict[str, bytes]]:
    """Keras and every variant of `cfg.variants` on the test windows; the variants' files.

    With `cfg.ensemble`, the same again for the run's fold models averaged in one graph.
    """
    data = run.data
    rng = np.random.default_rng(0)
    count = min(cfg.representative_windows, len(data.train))
    representative = data.normaliser(data.train.X[rng.choice(len(data.train), count, replace=False)])
    models = [("", run.model, RunFolder(run.run_dir).checkpoint.stat().st_size)]
    if cfg.ensemble:
        ensemble = build_ensemble(run.run_dir)
        size = sum(fold.checkpoint.stat().st_size for fold in fold_dirs(run.run_dir))
        models.append(("ensemble_", ensemble, size))
    reports, files = [], {}
    for prefix, model, keras_size in models:
        more_reports, more_files = _compare_model(prefix, model, keras_size, X_test, representative, run, cfg)
        reports += more_reports
        files.update(more_files)
    return reports, files


def _compare_model(
    prefix: str,
    model: keras.Model,
    keras_size: int,
    X_test: np.ndarray,
    representative: np.ndarray,
    run: Run,
    cfg: DictConfig,
) -> tuple[list[evaluate.VariantReport], dict[str, bytes]]:
    """One Keras model and its TFLite variants (named `<prefix><variant>`), against that model."""
    data = run.data
    keras_probabilities = model.predict(X_test, batch_size=256, verbose=0)
    single = X_test[:1]
    timing = {"invocations": cfg.latency.invocations, "warmup": cfg.latency.warmup}
    extra = {"parameters": int(model.count_params())}
    reports = [
        evaluate.report(
            f"{prefix}keras",
            keras_probabilities,
            keras_probabilities,
            data.test.y,
            data.class_names,
            size_bytes=keras_size,
            latency=evaluate.keras_latency(model, single, **timing),
            throughput=_keras_throughput(model, X_test[: cfg.throughput_batch]),
            extra=extra,
        )
    ]
    files = {}
    for variant in cfg.variants:
        started = time.perf_counter()
        content = to_tflite(model, variant, representative=(w[None] for w in representative))
        reports.append(
            evaluate.report(
                f"{prefix}{variant}",
                run_tflite(make_interpreter(content), X_test),
                keras_probabilities,
                data.test.y,
                data.class_names,
                size_bytes=len(content),
                latency=evaluate.tflite_latency(content, single, **timing),
                throughput=evaluate.tflite_throughput(content, X_test, batch=cfg.throughput_batch),
                extra=extra,
            )
        )
        files[f"model_{prefix}{variant}.tflite"] = content
        print(
            f"  {prefix}{variant}: {len(content) / 1024:.0f} kB, converted and evaluated in {time.perf_counter() - started:.1f}s",
            flush=True,
        )
    return reports, files


def _keras_throughput(model: keras.Model, X: np.ndarray) -> float:
    """Windows per second of `predict` on one batch, after a warm-up call."""
    model.predict(X, batch_size=len(X), verbose=0)
    started = time.perf_counter()
    model.predict(X, batch_size=len(X), verbose=0)
    return len(X) / (time.perf_counter() - started)


def _guard(reports: list[evaluate.VariantReport], guard: DictConfig) -> None:
    keras_accuracy = reports[0].accuracy
    by_name = {r.name: r for r in reports}
    for variant in guard.variants:
        if variant not in by_name:
            raise ConfigError(
                f"guard.variants: {variant!r} is not among the exported variants {list(by_name)[1:]}"
            )
        drop = (keras_accuracy - by_name[variant].accuracy) * 100
        if drop > guard.max_accuracy_drop:
            raise ExportGuardError(
                f"{variant} accuracy {by_name[variant].accuracy:.4f} is {drop:.2f} points below Keras "
                f"({keras_accuracy:.4f}); guard.max_accuracy_drop={guard.max_accuracy_drop}. No bundle written."
            )


def _manifest(run: Run, files: dict[str, bytes]) -> dict[str, Any]:
    model, data, run_cfg = run.model, run.data, run.config
    interpreter = make_interpreter(next(iter(files.values())))

    def details(items):
        return [
            {"name": d["name"], "shape": d["shape"].tolist(), "dtype": np.dtype(d["dtype"]).name}
            for d in items
        ]

    return {
        "har_version": har.__version__,
        "source": {
            "run_dir": str(run.run_dir),
            "model": run_cfg.model.name,
            "dataset": run_cfg.data.name,
            "trial": run_cfg.get("trial", None),
        },
        "classes": data.class_names,
        "channels": list(data.channels),
        "units": dict(data.units),
        "rate_hz": data.rate_hz,
        "window": data.window,
        "hop": data.hop,
        "window_s": float(run_cfg.data.window_s),
        "hop_s": float(run_cfg.data.hop_s),
        "normalisation": {
            "mean": data.normaliser.mean.tolist(),
            "std": data.normaliser.std.tolist(),
            "formula": "(x - mean) / std, per channel, on raw samples in the units above",
        },
        # the movement detector fitted with the training windows (har.data.movements), which
        # decoder=movements runs on the stream; null for sliding-window training
        "detector": data.detector,
        "input": details(interpreter.get_input_details()),
        "output": details(interpreter.get_output_details()),
        "parameters": int(model.count_params()),
    }


def _log(cfg: DictConfig, bundle: Path, reports: list[evaluate.VariantReport], source: Path) -> None:
    logger = instantiate(cfg.logger, "logger")
    columns = [
        "variant",
        "size_kB",
        "accuracy",
        "macro_f1",
        "agreement",
        "max_abs_delta",
        "latency_p50_ms",
        "latency_p95_ms",
        "throughput_windows_s",
    ]
    rows = [
        [
            r.name,
            r.size_bytes / 1024,
            r.accuracy,
            r.macro_f1,
            r.agreement,
            r.max_abs_delta,
            r.latency_p50_ms,
            r.latency_p95_ms,
            r.throughput_windows_s,
        ]
        for r in reports
    ]
    with logger.start(
        run_dir=Path(cfg.paths.output_dir), name=f"export-{source.name}", config=to_container(cfg)
    ):
        logger.log_table("export/comparison", columns, rows)
        logger.log_summary(
            {
                f"export/{r.name}/{k}": v
                for r in reports
                for k, v in (
                    ("accuracy", r.accuracy),
                    ("size_bytes", r.size_bytes),
                    ("latency_p50_ms", r.latency_p50_ms),
                )
            }
        )
        # one artifact per study (its W&B group) or per exported run, not `bundle-export` for all
        logger.log_artifact(bundle, name=f"bundle-{cfg.study or logger.group or source.name}", type="model")
