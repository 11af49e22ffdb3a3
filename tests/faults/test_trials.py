"""Trials that go wrong: killed while checkpointing, NaN loss, diverging, a model too deep.

Each failed trial is FAIL with its reason in the `error` user attribute, and the sweep goes
on; a killed trial is failed after the heartbeat grace and retried with the same parameters;
no half-written checkpoint is ever loaded or exported.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import keras
import optuna
import pytest
from omegaconf import OmegaConf
from optuna.trial import TrialState

from har.config import ConfigError, compose
from har.export.exporter import export
from har.sweep.best import best_run_dir
from har.sweep.driver import worker_config
from har.sweep.storage import CONFIG_ERROR, make_storage
from har.sweep.worker import work

pytestmark = [pytest.mark.faults, pytest.mark.slow]

TINY = '["trainer.epochs=1","data.train_fraction=0.1","trainer.patience=0","model.build.width=8","model.build.dense_units=16","optimizer.schedule=constant"]'
SPACE = """params:
  optimizer.learning_rate: {type: float, low: 1.0e-4, high: 1.0e+12, log: true}
  model.build.depth: {type: int, low: 1, high: 8}
"""


def _prepare(compose_sweep, tmp_path, n_trials: int, *overrides: str):
    (tmp_path / "space.yaml").write_text(SPACE)
    cfg = compose_sweep(
        f"sweep.search_space={tmp_path / 'space.yaml'}",
        f"sweep.n_trials={n_trials}",
        f"sweep.train_overrides={TINY}",
        "sweep.pruner._target_=har.sweep.factories.no_pruning",
        "~sweep.pruner.n_startup_trials",
        "~sweep.pruner.n_warmup_steps",
        *overrides,
    )
    return _sweep_folder(cfg)


def _sweep_folder(cfg):
    """The sweep folder a driver would write for `cfg` (its worker config, a new study): what `work` reads."""
    sweep_dir = Path(cfg.paths.output_dir)
    sweep_dir.mkdir(parents=True)
    worker_cfg = worker_config(cfg)
    OmegaConf.save(worker_cfg, sweep_dir / "sweep.yaml")
    study = optuna.create_study(
        study_name=cfg.sweep.study,
        storage=make_storage(None, sweep_dir / "journal.log"),
        direction="maximize",
    )
    return worker_cfg, study, sweep_dir


def test_nan_loss_divergence_and_a_model_too_deep_fail_with_their_reason(compose_sweep, tmp_path):
    worker_cfg, study, sweep_dir = _prepare(compose_sweep, tmp_path, 3)
    for learning_rate, depth in ((1e10, 2), (1e3, 2), (2e-3, 8), (2e-3, 2)):
        study.enqueue_trial({"optimizer.learning_rate": learning_rate, "model.build.depth": depth})
    assert work(worker_cfg, 0) == 4  # 3 slots: the refused config (too deep) takes none
    nan, diverged, too_deep, good = study.get_trials()
    assert [t.state for t in (nan, diverged, too_deep)] == [TrialState.FAIL] * 3
    assert [bool(t.system_attrs.get(CONFIG_ERROR)) for t in (nan, diverged, too_deep)] == [False, False, True]
    assert "TrainingDiverged: train/loss is nan at epoch 1" in nan.user_attrs["error"]
    assert "diverged: NaN, inf or over 1000" in diverged.user_attrs["error"]
    assert "window of 100 samples is too short: model depth=8" in too_deep.user_attrs["error"]
    assert good.state == TrialState.COMPLETE  # the sweep went on
    for trial in (nan, diverged, too_deep):  # a failed run leaves no result to pick up
        assert not (Path(trial.user_attrs["run_dir"]) / "metrics.json").exists()


def test_a_worker_killed_while_writing_a_checkpoint(compose_sweep, tmp_path):
    worker_cfg, study, sweep_dir = _prepare(
        compose_sweep, tmp_path, 1, "sweep.heartbeat.interval=1", "sweep.heartbeat.grace=3"
    )
    study.enqueue_trial({"optimizer.learning_rate": 2e-3, "model.build.depth": 2})
    marker = tmp_path / "paused"
    worker = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("_paused_worker.py")), str(marker)]
        + [str(sweep_dir / "sweep.yaml"), "0"],
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
        start_new_session=True,
    )
    deadline = time.time() + 240
    while not marker.exists() and worker.poll() is None and time.time() < deadline:
        time.sleep(0.2)
    assert marker.exists(), f"the worker never reached its checkpoint (exit code {worker.poll()})"
    os.killpg(worker.pid, signal.SIGKILL)
    worker.wait()
    run_dir = sweep_dir / "trials" / "0000"
    half = [p for p in run_dir.iterdir() if p.name.startswith(".best.keras.")]
    assert not (run_dir / "best.keras").exists() and len(half) == 1
    with pytest.raises(Exception):  # noqa: B017 (keras raises several types for a cut zip)
        keras.models.load_model(half[0])  # truly half a checkpoint: never renamed into place
    assert [t.state for t in study.get_trials()] == [TrialState.RUNNING]
    time.sleep(3.5)  # past the heartbeat grace
    assert work(worker_cfg, 0) == 1  # the same command again: fails the stale trial, retries it
    killed, retry = study.get_trials()
    assert killed.state == TrialState.FAIL and "heartbeats" in killed.user_attrs["error"]
    assert retry.state == TrialState.COMPLETE and retry.params == killed.params
    assert retry.user_attrs["retry_of"] == 0
    keras.models.load_model(Path(retry.user_attrs["run_dir"]) / "best.keras")
    assert best_run_dir(None, study.study_name, sweep_dir / "journal.log") == Path(
        retry.user_attrs["run_dir"]
    )
    with pytest.raises(
        ConfigError, match=r"not a finished har-train run \(missing best.keras, metrics.json\)"
    ):
        export(compose("export", [f"run_dir={run_dir}", f"paths.root={tmp_path}", "logger=none"]))


def test_a_result_for_a_trial_another_worker_failed_is_dropped_and_the_worker_goes_on(
    compose_sweep, tmp_path
):
    """A worker whose heartbeats came late (a killed worker held the journal's lock) finds its
    trial FAIL and retried by another; telling its result then must not end the worker."""
    cfg = compose_sweep(
        "sweep.objective._target_=har.sweep.faults.failed_elsewhere",
        "+sweep.objective.trial_number=1",
        "sweep.search_space=tiny",
        "sweep.n_trials=3",
    )
    worker_cfg, study, _ = _sweep_folder(cfg)
    assert work(worker_cfg, 0) == 4  # three slots, and the retry of the trial failed elsewhere
    trials = study.get_trials()
    failed = [t for t in trials if t.state == TrialState.FAIL]
    assert [t.number for t in failed] == [1] and "failed_elsewhere" in failed[0].user_attrs["error"]
    retry = [t for t in trials if t.user_attrs.get("retry_of") == 1]
    assert len(retry) == 1 and retry[0].params == failed[0].params and retry[0].state == TrialState.COMPLETE
    assert sum(1 for t in trials if t.state == TrialState.COMPLETE) == 3 and len(trials) == 4
