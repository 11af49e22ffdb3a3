"""train(cfg): outputs, W&B offline run files read back, repeatability, config errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest
from wandb_records import read_run

from har.config import ConfigError, compose
from har.training.fit import class_weight
from har.training.run import TrainResult, train

TINY = (
    "data.train_fraction=0.25",
    "trainer.epochs=2",
    "trainer.batch_size=32",
    "model.build.width=8",
    "model.build.dense_units=16",
)


def _wandb_run(run_dir: Path) -> Path:
    runs = sorted((run_dir / "wandb").glob("offline-run-*"))
    assert len(runs) == 1
    return runs[0]


@pytest.mark.slow
def test_train_writes_everything_and_wandb_has_it(compose_train):
    cfg = compose_train(*TINY)
    seen = []
    result = train(cfg, epoch_hooks=[lambda epoch, metrics: seen.append((epoch, metrics["val/macro_f1"]))])
    run_dir = result.run_dir
    for name in (
        "best.keras",
        "metrics.json",
        "config.yaml",
        "data.json",
        "history.csv",
        "confusion_test.png",
        "confusion_test.npy",
    ):
        assert (run_dir / name).is_file(), name
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert {"train/loss", "val/macro_f1", "test/macro_f1", "test/accuracy", "model/params"} <= set(metrics)
    assert len([k for k in metrics if k.startswith("test/f1/")]) == 7
    assert np.load(run_dir / "confusion_test.npy").sum() == 1002  # every test window, once
    assert [epoch for epoch, _ in seen] == [1, 2]
    run = read_run(_wandb_run(run_dir))  # the .wandb record log, decoded
    assert run["run"]["exit_code"] == 0 and run["run"]["id"] == result.wandb_run_id
    assert run["config"]["model"]["name"] == "cnn" and run["config"]["trainer"]["epochs"] == 2
    history = [row for row in run["history"] if "val/macro_f1" in row]
    assert [row["epoch"] for row in history] == [1, 2]
    assert [row["val/macro_f1"] for row in history] == pytest.approx([f1 for _, f1 in seen])
    assert run["summary"]["test/macro_f1"] == pytest.approx(metrics["test/macro_f1"])
    assert metrics["device"] == "cpu" and metrics["replicas"] == 1  # where it trained
    # the forest baseline beside the model: metrics.json and W&B alike
    assert 0 < metrics["baseline/test/macro_f1"] <= 1 and metrics["baseline/windows"]["test"]["count"] == 1002
    assert run["summary"]["baseline/test/macro_f1"] == pytest.approx(metrics["baseline/test/macro_f1"])


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory, session_cache) -> TrainResult:
    """The TINY run, W&B off, trained once: what repeats and training options are compared with."""
    root = tmp_path_factory.mktemp("tiny_run")
    paths = [f"paths.root={root}", f"paths.output_dir={root / 'run'}", f"paths.cache_dir={session_cache}"]
    return train(compose("train", [*paths, *TINY, "logger=none"]))


@pytest.mark.slow
def test_same_seed_same_metrics(tiny_run, compose_train):
    again = train(compose_train(*TINY, "logger=none")).metrics
    for key in ("train/loss", "val/macro_f1", "test/macro_f1", "test/accuracy"):
        assert again[key] == pytest.approx(tiny_run.metrics[key], abs=1e-6), key


@pytest.mark.slow
@pytest.mark.parametrize(
    "option", ["trainer.class_weight=balanced", "trainer.label_smoothing=0.2", "augment.mixup_alpha=0.4"]
)
def test_training_options_reach_fit(tiny_run, compose_train, option):
    """Each option changes what the same seed trains (a repeat agrees within 1e-6, above)."""
    result = train(compose_train(*TINY, "logger=none", option))
    assert abs(result.metrics["train/loss"] - tiny_run.metrics["train/loss"]) > 1e-3
    if option.startswith("trainer.label_smoothing"):  # the loss the checkpoint was compiled with
        loss = keras.models.load_model(result.checkpoint).loss
        assert loss.get_config()["label_smoothing"] == pytest.approx(0.2)


def test_balanced_class_weights():
    y = np.array([0] * 60 + [1] * 30 + [2] * 10)
    weights = class_weight(y, 3, "balanced")
    assert weights == pytest.approx({0: 100 / 180, 1: 100 / 90, 2: 100 / 30})  # n / (K x n_k)
    assert np.mean([weights[label] for label in y]) == pytest.approx(1.0)  # the loss keeps its scale
    assert class_weight(y, 3, "none") is None


@pytest.mark.slow
def test_wandb_run_is_finished_when_training_raises(compose_train):
    cfg = compose_train(*TINY)

    def explode(epoch, metrics):
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        train(cfg, epoch_hooks=[explode])
    run = read_run(_wandb_run(Path(cfg.paths.output_dir)))
    assert run["run"]["exit_code"] == 1
    assert not (Path(cfg.paths.output_dir) / "metrics.json").exists()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (("model.build.dropout_rate=-0.5",), r"model.build.dropout_rate=-0.5"),
        (("data.window_s=0.1",), r"window of 5 samples is too short: model depth=3"),
        (("trainer.epochs=0",), r"trainer.epochs=0: expected a positive integer"),
        (("trainer.class_weight=bogus",), r"trainer.class_weight='bogus'"),
        (("optimizer.learning_rate=-1",), r"optimizer.learning_rate=-1: expected a positive, finite number"),
    ],
)
def test_bad_config_fails_before_training(compose_train, overrides, message):
    cfg = compose_train(*overrides, "logger=none")
    with pytest.raises(ConfigError, match=message):
        train(cfg)
    assert not Path(cfg.paths.output_dir).exists()


@pytest.mark.parametrize(
    ("override", "message"), [("model=transformer", "model"), ("model.build.depthh=3", "depthh")]
)
def test_unknown_model_or_key_is_named(compose_train, override, message):
    with pytest.raises(ConfigError, match=message):
        compose_train(override)


def _har_train(*args, cwd, env=None):
    script = Path(sys.executable).parent / "har-train"
    return subprocess.run([str(script), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


@pytest.mark.slow  # a har-train process (TensorFlow's start-up)
def test_har_train_bad_value_is_one_line_and_exit_2(tmp_path, session_cache):
    result = _har_train(
        f"paths.root={tmp_path}",
        f"paths.cache_dir={session_cache}",
        "model.build.kernel_size=0",
        cwd=tmp_path,
    )
    assert result.returncode == 2
    assert result.stderr.strip() == "error: model=cnn: model.build.kernel_size=0: expected a positive value"


@pytest.mark.slow
def test_mirrored_strategy_with_wandb_writes_nothing_under_home(tmp_path, session_cache):
    """`har-train` on two logical CPUs, logging to W&B, with an empty home folder: it stays empty."""
    home = tmp_path / "home"
    home.mkdir()
    # what this process set (W&B's folders of earlier runs, KERAS_HOME, MPLCONFIGDIR) must not
    # help the child: har-train has to keep ~ untouched by itself
    inherited = ("WANDB_DIR", "WANDB_CACHE_DIR", "WANDB_DATA_DIR", "WANDB_CONFIG_DIR", "WANDB_ARTIFACT_DIR")
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in inherited and not k.startswith(("XDG_", "KERAS", "MPL"))
    }
    result = _har_train(
        f"paths.root={tmp_path}",
        f"paths.cache_dir={session_cache}",
        "trainer.strategy=mirrored",
        "trainer.epochs=1",
        "data.train_fraction=0.1",
        "model.build.width=8",
        cwd=tmp_path,
        env={**env, "HOME": str(home)},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    metrics_file = next(tmp_path.glob("runs/*/metrics.json"))
    assert 0 <= json.loads(metrics_file.read_text())["test/macro_f1"] <= 1
    assert len(list(metrics_file.parent.glob("wandb/offline-run-*"))) == 1  # W&B did run
    assert sorted(home.rglob("*")) == []
