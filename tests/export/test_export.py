"""Export: variants compared on the test split, the guard, the bundle and its preprocessing."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

from har.config import compose
from har.data.dataset import load_windows
from har.data.pipeline import make_dataset
from har.export.bundle import BundleError, read_bundle
from har.export.convert import ConversionError, make_interpreter, run_tflite, to_tflite
from har.export.exporter import ExportGuardError, export
from har.export.inference import Predictor
from har.sweep.best import with_best_run_dir


def _export_cfg(run_dir: Path, out: Path, *overrides: str):
    return compose(
        "export",
        [
            f"run_dir={run_dir}",
            f"paths.output_dir={out}",
            "logger=none",
            "latency.invocations=200",
            "latency.warmup=20",
            *overrides,
        ],
    )


@pytest.fixture(scope="module")
def exported(trained_run, tmp_path_factory):
    out = tmp_path_factory.mktemp("export")
    # as a sweep exports its best trial: the study's group and the run's name
    cfg = _export_cfg(
        trained_run, out, "logger=wandb", "logger.group=my-study", "logger.name=my-study-export"
    )
    return export(cfg), out


@pytest.mark.slow
def test_variants_match_keras(exported):
    result, _ = exported
    reports = {r.name: r for r in result.reports}
    assert list(reports) == ["keras", "float32", "float16", "dynamic_int8", "int8"]
    assert reports["float32"].max_abs_delta < 1e-5
    assert reports["float16"].agreement >= 0.99
    # this small test model has a larger share of non-weight bytes; the default cnn is at 0.52
    assert reports["float16"].size_bytes <= 0.6 * reports["float32"].size_bytes
    assert abs(reports["float16"].accuracy - reports["keras"].accuracy) <= 0.005
    # int8: weights only (dynamic) or weights and activations calibrated on train windows; the
    # default models keep 99.4-100% agreement (experiments/quantization), this small one less
    for name, agreement, drop in (("dynamic_int8", 0.97, 0.02), ("int8", 0.95, 0.03)):
        assert reports[name].agreement >= agreement, name
        assert reports["keras"].accuracy - reports[name].accuracy <= drop, name
        assert reports[name].size_bytes <= 0.4 * reports["float32"].size_bytes, name
    for report in reports.values():
        assert report.latency_p50_ms > 0 and report.latency_p95_ms >= report.latency_p50_ms


@pytest.mark.slow
def test_bundle_contents_and_wandb_export_run(exported):
    result, out = exported
    bundle = read_bundle(result.bundle)
    assert set(bundle.variants) == {"float32", "float16", "dynamic_int8", "int8"}
    manifest = bundle.manifest
    assert manifest["channels"] == ["ax", "ay", "az", "gx", "gy", "gz"] and manifest["units"]["gx"] == "rad/s"
    assert manifest["rate_hz"] == 50 and manifest["window"] == 100 and manifest["hop"] == 50
    assert len(manifest["normalisation"]["mean"]) == 6 and manifest["input"][0]["shape"] == [1, 100, 6]
    assert (result.bundle / "comparison.md").read_text().count("| float16 |") == 2
    assert json.loads((result.bundle / "comparison.json").read_text())["reports"][0]["name"] == "keras"
    from wandb_records import read_run

    run = read_run(next((out / "wandb").glob("offline-run-*")))
    assert run["run"]["job_type"] == "export" and "export/float16/accuracy" in run["summary"]
    assert run["run"]["group"] == "my-study" and run["run"]["name"] == "my-study-export"
    bundles = [name for name in run["run"]["artifacts"] if name.startswith("bundle-")]
    assert bundles == ["bundle-my-study"]  # one artifact per study, not `bundle-export` for all


@pytest.mark.slow
def test_manifest_preprocessing_on_raw_samples_matches_training(exported, trained_run):
    result, _ = exported
    bundle = read_bundle(result.bundle)
    run_cfg = compose(
        "train",
        [
            "paths.output_dir=unused",
            "paths.cache_dir=" + json.dumps(str(Path(bundle.manifest["source"]["run_dir"]).parent)),
        ],
    )
    model = keras.models.load_model(trained_run / "best.keras")
    data = load_windows(_run_data_cfg(trained_run))
    pipeline_windows = np.concatenate(
        [x.numpy() for x, _ in make_dataset(data.test, data.normaliser, batch_size=256, training=False)]
    )
    keras_probabilities = model.predict(pipeline_windows, verbose=0)
    predictor = Predictor(bundle, "float32")
    raw = data.test.X[:200]  # raw samples in g and rad/s, as a phone would read them
    app_probabilities = np.stack([predictor.predict_window(w) for w in raw])
    np.testing.assert_allclose(app_probabilities, keras_probabilities[:200], atol=1e-5)
    del run_cfg


def _run_data_cfg(run_dir: Path):
    from omegaconf import OmegaConf

    return OmegaConf.load(run_dir / "config.yaml").data


@pytest.mark.slow
def test_guard_fires_on_a_damaged_model(trained_run, tmp_path):
    """Scale a ReLU dense layer up by 1e9 and the next down by 1e-9: float32 is unchanged,
    float16 cannot hold either (max 65504, smallest step 6e-8)."""
    damaged = tmp_path / "damaged"
    shutil.copytree(trained_run, damaged)
    model = keras.models.load_model(damaged / "best.keras")
    dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    hidden, head = dense[-2], dense[-1]
    kernel, bias = hidden.get_weights()
    hidden.set_weights([kernel * 1e9, bias * 1e9])
    kernel, bias = head.get_weights()
    head.set_weights([kernel * 1e-9, bias])
    model.save(damaged / "best.keras")
    out = tmp_path / "export"
    with pytest.raises(ExportGuardError, match=r"float16 accuracy .* points below Keras"):
        export(_export_cfg(damaged, out, "variants=[float32,float16]"))
    assert not (out / "bundle").exists()


def test_select_tf_op_is_refused():
    inputs = keras.Input((16, 6))
    outputs = keras.layers.Lambda(lambda x: tf.math.bessel_i0e(x))(inputs)
    model = keras.Model(inputs, outputs, name="needs_select_ops")
    with pytest.raises(
        ConversionError, match="needs_select_ops: cannot be converted with TFLite builtin ops only"
    ):
        to_tflite(model)


@pytest.mark.slow
def test_a_tampered_bundle_fails_its_sha256(exported, tmp_path):
    result, _ = exported
    copy = tmp_path / "bundle"
    shutil.copytree(result.bundle, copy)
    content = bytearray((copy / "model_float16.tflite").read_bytes())
    content[len(content) // 2] ^= 0xFF
    (copy / "model_float16.tflite").write_bytes(bytes(content))
    with pytest.raises(BundleError, match=r"model_float16.tflite: sha256 .* does not match the manifest"):
        read_bundle(copy)
    (copy / "model_float16.tflite").unlink()
    with pytest.raises(BundleError, match="listed in the manifest but missing"):
        read_bundle(copy)
    with pytest.raises(BundleError, match="no manifest.json"):
        read_bundle(tmp_path)


@pytest.mark.slow
def test_har_export_cli(trained_run, tmp_path, session_cache):
    script = Path(sys.executable).parent / "har-export"
    result = subprocess.run(
        [
            str(script),
            f"run_dir={trained_run}",
            f"paths.root={tmp_path}",
            "logger=none",
            "latency.invocations=100",
            "variants=[float32,float16]",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "float16" in result.stdout and "bundle:" in result.stdout
    bundle = Path(result.stdout.strip().splitlines()[-1].split("bundle: ")[1])
    assert read_bundle(bundle).variants == ["float32", "float16"]
    missing = subprocess.run(
        [str(script), f"run_dir={tmp_path / 'nothing'}", f"paths.root={tmp_path}", "logger=none"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert missing.returncode == 2 and "not a finished har-train run" in missing.stderr


def test_tflite_batches_by_resizing():
    inputs = keras.Input((20, 6))
    model = keras.Model(
        inputs, keras.layers.Dense(3, activation="softmax")(keras.layers.GlobalAveragePooling1D()(inputs))
    )
    interpreter = make_interpreter(to_tflite(model))
    for batch in (1, 7, 64):
        X = np.random.default_rng(batch).normal(size=(batch, 20, 6)).astype(np.float32)
        np.testing.assert_allclose(run_tflite(interpreter, X), model.predict(X, verbose=0), atol=1e-6)


@pytest.mark.slow
def test_export_the_best_trial_of_a_study(trained_run, tmp_path):
    import optuna

    from har.sweep.storage import make_storage

    journal = tmp_path / "journal.log"
    study = optuna.create_study(study_name="tiny", storage=make_storage(None, journal), direction="maximize")
    for value, run in ((0.2, tmp_path / "worse"), (0.9, trained_run)):
        trial = study.ask()
        trial.set_user_attr("run_dir", str(run))
        study.tell(trial, value)
    result = export(
        with_best_run_dir(
            compose(
                "export",
                [
                    "study=tiny",
                    f"storage={journal}",
                    f"paths.output_dir={tmp_path / 'out'}",
                    "logger=none",
                    "variants=[float32]",
                    "guard.variants=[]",
                    "latency.invocations=20",
                    "latency.warmup=2",
                ],
            )
        )
    )
    manifest = read_bundle(result.bundle).manifest
    assert manifest["source"]["run_dir"] == str(trained_run) and manifest["source"]["study"] == "tiny"
    from har.config import ConfigError

    with pytest.raises(ConfigError, match="study=nothing: no finished trial"):
        export(
            with_best_run_dir(
                compose(
                    "export",
                    [
                        "study=nothing",
                        f"storage={journal}",
                        f"paths.output_dir={tmp_path / 'x'}",
                        "logger=none",
                    ],
                )
            )
        )


@pytest.mark.slow
def test_export_uses_the_runs_data_json_and_refuses_changed_data(tmp_path, session_cache):
    """A csv folder edited after training: export refuses it instead of shipping a mismatch."""
    import pandas as pd
    from recording_helpers import write_csv_folder

    from har.data.recording import DataError
    from har.data.sources.strikes_sim import StrikesSimSource
    from har.training.run import train

    folder = write_csv_folder(
        StrikesSimSource(n_subjects=6, sessions_per_subject=1, session_s=30).load(), tmp_path / "csv"
    )
    run_dir = tmp_path / "run"
    train(
        compose(
            "train",
            [
                f"paths.root={tmp_path}",
                f"paths.output_dir={run_dir}",
                f"paths.cache_dir={session_cache}",
                "data=csv",
                f"data.source.path={folder}",
                "data.window_s=1.0",
                "data.hop_s=0.5",
                "logger=none",
                "trainer.epochs=1",
                "model.build.depth=2",
                "model.build.width=8",
                "model.build.dense_units=16",
            ],
        )
    )
    recorded = json.loads((run_dir / "data.json").read_text())
    common = ["variants=[float32]", "guard.variants=[]", "latency.invocations=20", "latency.warmup=2"]
    result = export(_export_cfg(run_dir, tmp_path / "first", *common))
    normalisation = read_bundle(result.bundle).manifest["normalisation"]
    assert [normalisation["mean"], normalisation["std"]] == [
        recorded["normaliser"]["mean"],
        recorded["normaliser"]["std"],
    ]
    comparison = json.loads((result.bundle / "comparison.json").read_text())
    assert comparison["test_windows"] == recorded["splits"]["test"]["windows"]
    assert comparison["subjects"]["test"] == recorded["splits"]["test"]["subjects"]
    # one test subject's session re-recorded: same length and labels, other values. The counts
    # and the train statistics stay the same; only the test windows' fingerprint tells.
    sessions = pd.read_csv(folder / "sessions.csv", dtype=str)
    session = sessions[sessions.subject == recorded["splits"]["test"]["subjects"][0]].session.iloc[0]
    frame = pd.read_csv(folder / f"{session}.csv")
    frame["ax"] *= 1.1
    frame.to_csv(folder / f"{session}.csv", index=False, float_format="%.9g")
    with pytest.raises(
        DataError, match=r"data.json: the data is no longer what this run was trained on \(splits.test.sha256"
    ):
        export(_export_cfg(run_dir, tmp_path / "second", *common))
    assert not (tmp_path / "second").exists()


@pytest.mark.slow
def test_export_a_point_of_a_studys_pareto_front(trained_run, tmp_path):
    import optuna

    from har.sweep.best import best_trials
    from har.sweep.storage import make_storage

    other = tmp_path / "other_run"
    shutil.copytree(trained_run, other)
    journal = tmp_path / "journal.log"
    study = optuna.create_study(
        study_name="pareto", storage=make_storage(None, journal), directions=["maximize", "minimize"]
    )
    for values, run in (((0.9, 200.0), trained_run), ((0.8, 100.0), other), ((0.7, 300.0), tmp_path / "x")):
        trial = study.ask()
        trial.set_user_attr("run_dir", str(run))
        study.tell(trial, values)
    front = [Path(t.user_attrs["run_dir"]) for t in best_trials(study)]
    assert sorted(front) == sorted([trained_run, other])  # the dominated trial is not on it
    for index, run in enumerate(front):
        result = export(
            with_best_run_dir(
                compose(
                    "export",
                    [
                        "study=pareto",
                        f"storage={journal}",
                        f"pareto_index={index}",
                        f"paths.output_dir={tmp_path / f'out{index}'}",
                        "logger=none",
                        "variants=[float32]",
                        "guard.variants=[]",
                        "latency.invocations=20",
                        "latency.warmup=2",
                    ],
                )
            )
        )
        source = read_bundle(result.bundle).manifest["source"]
        assert source["run_dir"] == str(run) and source["study"] == "pareto"
