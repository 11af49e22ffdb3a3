"""Sweeps on real storage: parallel workers, resume, failures, killed workers, pruning, TFLite objectives.

Storage and scheduling (parallel workers, resume, PostgreSQL) run dry-run trials; failures,
kills, pruning and the TFLite objectives train tiny trials.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import optuna
import pytest
from omegaconf import OmegaConf
from optuna.trial import TrialState

from har.sweep.driver import run_sweep, worker_config
from har.sweep.objective import dry_run_value
from har.sweep.storage import make_storage

pytestmark = pytest.mark.slow
# storage and scheduling need no training: trials that sample and tell (dry runs)
DRY_RUN = "sweep.objective._target_=har.sweep.objective.dry_run"


def _states(study):
    return sorted(t.state.name for t in study.get_trials(deepcopy=False))


def _distinct(study):
    return len({tuple(sorted(t.params.items())) for t in study.get_trials(deepcopy=False)})


def test_two_workers_on_a_journal_complete_n_distinct_trials(compose_sweep):
    # trials of 1 s, so that the second worker starts before the first has taken them all
    result = run_sweep(
        compose_sweep(DRY_RUN, "+sweep.objective.seconds=1", "sweep.workers=2", "sweep.n_trials=6")
    )
    study = result.study
    assert _states(study) == ["COMPLETE"] * 6 and _distinct(study) == 6
    workers = {t.user_attrs["worker"].split(":")[2] for t in study.get_trials()}
    assert workers == {"0", "1"}  # both workers took trials
    assert all(t.value == dry_run_value(t.params, "val/macro_f1") for t in study.get_trials())
    for name in ("trials.csv", "summary.md", "history.png"):
        assert (result.sweep_dir / name).is_file(), name
    table = list(csv.DictReader((result.sweep_dir / "trials.csv").read_text().splitlines()))
    assert {row["device"] for row in table} == {"cpu"}  # the device each trial's worker was given


def test_resume_adds_only_the_missing_trials(compose_sweep):
    first = run_sweep(compose_sweep(DRY_RUN, "sweep.n_trials=2")).study
    before = {t.number: t.params for t in first.get_trials()}
    second = run_sweep(compose_sweep(DRY_RUN, "sweep.n_trials=3")).study
    trials = second.get_trials()
    assert len(trials) == 3 and {t.number: t.params for t in trials[:2]} == before


def test_a_trial_that_raises_fails_with_its_reason_and_the_sweep_goes_on(compose_sweep, tmp_path):
    space = tmp_path / "space.yaml"
    space.write_text("params:\n  model.build.kernel_size:\n    type: categorical\n    choices: [0, 3]\n")
    study = run_sweep(
        compose_sweep(
            f"sweep.search_space={space}",
            "sweep.n_trials=3",
            "sweep.sampler._target_=har.sweep.factories.random",
            "~sweep.sampler.n_startup_trials",
            "sweep.sampler.seed=1",
        )
    ).study
    failed = [t for t in study.get_trials() if t.state == TrialState.FAIL]
    assert failed and all(t.params["model.build.kernel_size"] == 0 for t in failed)
    assert "kernel_size=0: expected a positive value" in failed[0].user_attrs["error"]
    assert any(t.state == TrialState.COMPLETE for t in study.get_trials())


@pytest.mark.faults  # the fault suite's "SIGKILL during training" (tests/faults/ has the rest)
def test_a_killed_worker_leaves_no_trial_running(compose_sweep):
    cfg = compose_sweep(
        "sweep.n_trials=2",
        "sweep.heartbeat.interval=1",
        "sweep.heartbeat.grace=4",
        'sweep.train_overrides=["trainer.epochs=30","data.train_fraction=0.1","trainer.patience=0"]',
    )
    sweep_dir = Path(cfg.paths.output_dir)
    sweep_dir.mkdir(parents=True)
    worker_cfg = worker_config(cfg)
    OmegaConf.save(worker_cfg, sweep_dir / "sweep.yaml")
    storage = make_storage(None, sweep_dir / "journal.log")
    study = optuna.create_study(study_name=cfg.sweep.study, storage=storage, direction="maximize")
    worker = subprocess.Popen(
        [sys.executable, "-m", "har.sweep.worker", str(sweep_dir / "sweep.yaml"), "0"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.time() + 180
    while time.time() < deadline and not (sweep_dir / "trials" / "0000" / "best.keras").exists():
        time.sleep(0.5)  # wait until the trial is training (it has checkpointed an epoch)
    assert _states(study) == ["RUNNING"]
    os.killpg(worker.pid, signal.SIGKILL)
    worker.wait()
    assert _states(study) == ["RUNNING"]  # killed: nobody told the storage
    time.sleep(5)  # past the heartbeat grace period
    quick = compose_sweep("sweep.n_trials=2", "sweep.heartbeat.interval=1", "sweep.heartbeat.grace=4")
    resumed = run_sweep(quick).study
    trials = resumed.get_trials()
    assert TrialState.RUNNING not in {t.state for t in trials}
    assert trials[0].state == TrialState.FAIL and "heartbeats" in trials[0].user_attrs["error"]
    retry = [t for t in trials if t.user_attrs.get("retry_of") == 0]
    assert len(retry) == 1 and retry[0].params == trials[0].params and retry[0].state == TrialState.COMPLETE


def _good_then_bad(compose_sweep, tmp_path, train_overrides: str):
    """A 2-trial sweep over the learning rate: a good trial first, then one that cannot learn."""
    space = tmp_path / "space.yaml"
    space.write_text(
        "params:\n  optimizer.learning_rate:\n    type: float\n    low: 1.0e-9\n    high: 1.0e-2\n    log: true\n"
    )
    cfg = compose_sweep(
        f"sweep.search_space={space}",
        "sweep.n_trials=2",
        "sweep.pruner.n_startup_trials=1",
        "sweep.pruner.n_warmup_steps=0",
        f"sweep.train_overrides={train_overrides}",
    )
    study = optuna.create_study(
        study_name=cfg.sweep.study,
        storage=make_storage(None, Path(cfg.paths.output_dir) / "journal.log"),
        direction="maximize",
    )
    study.enqueue_trial({"optimizer.learning_rate": 3e-3})
    study.enqueue_trial({"optimizer.learning_rate": 1e-9})
    return cfg


def test_pruning_prunes_a_deliberately_bad_trial(compose_sweep, tmp_path):
    cfg = _good_then_bad(
        compose_sweep,
        tmp_path,
        '["trainer.epochs=4","data.train_fraction=0.2","trainer.patience=0","model.build.width=8"]',
    )
    sweep_dir = Path(cfg.paths.output_dir)
    cfg.logger = compose_sweep("logger=wandb").logger  # the summary run must take mixed states
    result = run_sweep(cfg)
    good, bad = result.study.get_trials()
    assert good.state == TrialState.COMPLETE and bad.state == TrialState.PRUNED
    assert bad.user_attrs["pruned_after_epoch"] < 4
    for name in ("trials.csv", "summary.md", "best_config.yaml", "best_command.txt", "history.png"):
        assert (sweep_dir / name).is_file(), name
    assert result.summary["best"][0].user_attrs["run_dir"] == good.user_attrs["run_dir"]
    assert Path(good.user_attrs["run_dir"], "metrics.json").is_file()
    from wandb_records import read_run

    summary = read_run(next((sweep_dir / "wandb").glob("offline-run-*")))
    assert summary["run"]["job_type"] == "sweep-summary" and summary["summary"]["best/number"] == 0
    trial_runs = [read_run(p) for p in sweep_dir.glob("trials/*/wandb/offline-run-*")]
    # the study whole in one group, every run named after the study and its trial
    study = cfg.sweep.study
    assert {r["run"]["group"] for r in [summary, *trial_runs]} == {study} and len(trial_runs) == 2
    assert summary["run"]["name"] == f"{study}-summary"
    assert sorted(r["run"]["name"] for r in trial_runs) == [f"{study}-trial-0", f"{study}-trial-1"]
    (pruned,) = [r for r in trial_runs if r["summary"].get("pruned")]
    assert pruned["run"]["name"] == f"{study}-trial-{bad.number}"
    assert pruned["summary"]["val/macro_f1"] == pytest.approx(bad.value)  # what the study recorded


@pytest.mark.slow
def test_a_cross_validated_sweep_prunes_a_bad_trial_after_its_first_fold_and_refits_the_best(
    compose_sweep, tmp_path
):
    cfg = _good_then_bad(
        compose_sweep,
        tmp_path,
        '["validation=subject_kfold","trainer.epochs=2","data.train_fraction=0.2",'
        '"trainer.patience=0","model.build.width=8","baseline=none"]',
    )
    result = run_sweep(cfg)
    good, bad = result.study.get_trials()
    assert good.state == TrialState.COMPLETE and bad.state == TrialState.PRUNED
    assert bad.user_attrs["pruned_after_fold"] == 1
    assert sorted(p.name for p in (Path(bad.user_attrs["run_dir"]) / "folds").iterdir()) == ["fold-1"]
    assert bad.intermediate_values.keys() == {1} and good.intermediate_values.keys() == {1, 2, 3}
    # the trial value is the mean over folds, the pruner saw the running mean after each fold
    folds = json.loads((Path(good.user_attrs["run_dir"]) / "metrics.json").read_text())["cv/folds"]
    assert good.value == pytest.approx(np.mean([f["val/macro_f1"] for f in folds]))
    assert good.intermediate_values[1] == pytest.approx(folds[0]["val/macro_f1"])
    assert good.intermediate_values[3] == pytest.approx(good.value)
    # the trials ran their folds only; the best one was refit at the end (test, once)
    assert "test/macro_f1" not in good.user_attrs and "folds/test/macro_f1" in good.user_attrs
    refit = json.loads((Path(good.user_attrs["run_dir"]) / "metrics.json").read_text())
    assert refit["refit/epochs"] >= 1 and 0 <= refit["test/macro_f1"] <= 1
    summary = (result.sweep_dir / "summary.md").read_text()
    assert (
        "mean validation score over subject folds" in summary and f"{refit['test/macro_f1']:.4f}" in summary
    )
    # the best row carries the model's size (and the refit's baseline, when there is one), not blanks
    best_row = next(line for line in summary.splitlines() if line.startswith(f"| {good.number} |"))
    assert f"| {refit['model/params']} |" in best_row
    baseline = refit.get("baseline/test/macro_f1")
    assert (f"{baseline:.4f}" if baseline is not None else "| – |") in best_row
    # W&B: the refit is a run of its own name beside its trial's; the pruned trial's run has its value
    from wandb_records import read_run

    study = cfg.sweep.study
    runs = {p: read_run(p) for p in result.sweep_dir.glob("trials/*/wandb/offline-run-*")}
    assert sorted(r["run"]["name"] for r in runs.values()) == sorted(
        [f"{study}-trial-{bad.number}", f"{study}-trial-{good.number}", f"{study}-trial-{good.number}-refit"]
    )
    assert {r["run"]["group"] for r in runs.values()} == {study}
    (pruned,) = [r for r in runs.values() if r["summary"].get("pruned")]
    assert pruned["summary"]["val/macro_f1"] == pytest.approx(bad.value)  # the fold-1 value recorded
    trial_run = next(r for r in runs.values() if r["run"]["name"] == f"{study}-trial-{good.number}")
    assert trial_run["summary"]["val/macro_f1"] == pytest.approx(good.value)  # the mean over folds


def test_two_workers_on_postgresql(compose_sweep, tmp_path, postgres_url):
    url = postgres_url
    name = f"pg-{tmp_path.name}-{int(time.time())}"
    result = run_sweep(
        compose_sweep(
            DRY_RUN,
            "+sweep.objective.seconds=1",  # so that both workers take trials
            f"sweep.storage={url}",
            f"sweep.study={name}",
            "sweep.workers=2",
            "sweep.n_trials=4",
        )
    )
    study = optuna.load_study(study_name=name, storage=url)  # read back through the server
    assert _states(study) == ["COMPLETE"] * 4 and _distinct(study) == 4
    assert {t.user_attrs["worker"].split(":")[2] for t in study.get_trials()} == {"0", "1"}
    assert not (result.sweep_dir / "journal.log").exists()
    optuna.delete_study(study_name=name, storage=url)


def test_tflite_objectives_are_the_trials_float16_model(compose_sweep):
    """`tflite/latency_ms` and `tflite/size_kb` as objectives, measured on the trial's own model."""
    import json

    import keras

    from har.export.convert import to_tflite
    from har.sweep.worker import work

    cfg = compose_sweep(
        "sweep.n_trials=1",
        "sweep.objectives=[val/macro_f1,tflite/latency_ms,tflite/size_kb]",
        "sweep.directions=[maximize,minimize,minimize]",
        'sweep.train_overrides=["trainer.epochs=1","data.train_fraction=0.1","logger=none"]',
    )
    worker_cfg = worker_config(cfg)
    study = optuna.create_study(
        study_name=cfg.sweep.study,
        storage=make_storage(None, Path(cfg.paths.output_dir) / "journal.log"),
        directions=list(cfg.sweep.directions),
    )
    assert work(worker_cfg, 0) == 1  # in this process: the worker's code without its start-up
    (trial,) = study.get_trials()
    assert trial.state == TrialState.COMPLETE, trial.user_attrs.get("error")
    f1, latency_ms, size_kb = trial.values
    run_dir = Path(trial.user_attrs["run_dir"])
    assert f1 == json.loads((run_dir / "metrics.json").read_text())["val/macro_f1"]
    float16 = to_tflite(keras.models.load_model(run_dir / "best.keras"), "float16")
    assert size_kb == pytest.approx(len(float16) / 1024)
    assert 0 < latency_ms < 100
