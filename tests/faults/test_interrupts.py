"""Ctrl-C on `har-sweep` leaves the study true, and a sweep on a config folder of one's own.

SIGINT goes to the sweep's whole process group, as Ctrl-C in its terminal does. A trial whose
run had finished (metrics.json written) is recorded COMPLETE with its value and never run again;
one that had not is failed and queued again at once, without waiting for the heartbeat grace.
The sweep composes its trials from `--config-dir`, whose content the study keeps: a worker that
has only the study (the folder gone) composes the same config, and a changed folder is refused.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import optuna
import pytest
from omegaconf import OmegaConf, open_dict
from optuna.trial import TrialState
from recording_helpers import edit_data_config, write_data_config

from har.config import ConfigError, compose
from har.sweep.driver import run_sweep
from har.sweep.objective import dry_run_value
from har.sweep.storage import RETRIED, make_storage
from har.training import RunFolder

pytestmark = [pytest.mark.faults, pytest.mark.slow]

# One epoch of a narrow network, holdout, no forest, no W&B.
RUNS = (
    '["validation=holdout","trainer.epochs=1","trainer.patience=0","logger=none","baseline=none",'
    '"model.build.depth=2","model.build.width=8","model.build.dense_units=16"]'
)
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}


def _har_sweep(tmp_path: Path, session_cache: Path, *args: str) -> subprocess.CompletedProcess:
    """`har-sweep` in a process group of its own (one worker, no export, no W&B)."""
    common = [
        f"paths.root={tmp_path}",
        f"paths.cache_dir={session_cache}",
        "logger=none",
        "sweep.export=false",
        "sweep.workers=1",
    ]
    return subprocess.run(
        [sys.executable, "-c", "from har.cli import har_sweep; har_sweep()", *common, *args],
        env=ENV,
        start_new_session=True,
        # as in a terminal: Ctrl-C reaches it even when the tests run as a background job
        # (a non-interactive shell starts those with SIGINT ignored, and children inherit it)
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        capture_output=True,
        text=True,
        timeout=600,
    )


def _study(tmp_path: Path, name: str) -> optuna.Study:
    return optuna.load_study(
        study_name=name, storage=make_storage(None, tmp_path / "sweeps" / name / "journal.log")
    )


def test_sigint_after_a_trials_metrics_leaves_it_complete_and_a_worker_elsewhere_composes_the_same(
    tmp_path, session_cache
):
    conf = write_data_config(tmp_path)
    space = tmp_path / "space.yaml"
    space.write_text(
        "params:\n  optimizer.learning_rate:\n    type: categorical\n    choices: [0.001, 0.002]\n"
    )
    settings = [
        f"sweep.search_space={space}",
        f"sweep.train_overrides={RUNS}",
        "data=mine",
        "sweep.n_trials=2",
    ]
    interrupted = _har_sweep(
        tmp_path,
        session_cache,
        "--config-dir",
        str(conf),
        "sweep.study=mine",
        "sweep.objective._target_=har.sweep.faults.interrupted",
        *settings,
    )
    assert interrupted.returncode == 130, interrupted.stderr
    study = _study(tmp_path, "mine")
    [trial] = study.get_trials()  # the worker stopped before asking for another
    run = RunFolder(Path(trial.user_attrs["run_dir"]))
    assert trial.state == TrialState.COMPLETE and trial.value == run.read_metrics()["val/macro_f1"]
    assert str(run.read_config().data.name) == "mine"

    # A worker elsewhere: the folder is not there, only the study (and the sweep's worker config).
    sweep_yaml = tmp_path / "sweeps" / "mine" / "sweep.yaml"
    worker_cfg = OmegaConf.load(sweep_yaml)
    assert "config_dirs" not in worker_cfg
    worker_cfg.sweep.objective._target_ = "har.sweep.objective.run_trial"
    OmegaConf.save(worker_cfg, sweep_yaml)
    conf.rename(tmp_path / "gone")
    subprocess.run([sys.executable, "-m", "har.sweep.worker", str(sweep_yaml), "0"], env=ENV, check=True)
    (tmp_path / "gone").rename(conf)
    first, second = study.get_trials()
    assert second.state == TrialState.COMPLETE and second.params != first.params  # no repeat
    assert str(RunFolder(Path(second.user_attrs["run_dir"])).read_config().data.name) == "mine"

    def sweep():  # the same command again, in this process
        cfg = compose(
            "sweep",
            [
                f"paths.root={tmp_path}",
                f"paths.cache_dir={session_cache}",
                "logger=none",
                "sweep.export=false",
            ]
            + ["sweep.workers=1", "sweep.study=mine", f"paths.output_dir={sweep_yaml.parent}", *settings],
            config_dirs=[conf],
        )
        with open_dict(cfg):
            cfg.config_dirs = [str(conf)]
        return run_sweep(cfg)

    assert [t.state for t in sweep().study.get_trials()] == [TrialState.COMPLETE] * 2  # nothing run again
    # the best trial's command composes from the study's copy of the folder, written beside it
    command = (sweep_yaml.parent / "best_command.txt").read_text()
    copy = sweep_yaml.parent / "config_dir"
    assert command.startswith(f"har-train --config-dir={copy.resolve()} ") and (copy / "data" / "mine.yaml").is_file()
    edit_data_config(conf)
    with pytest.raises(ConfigError, match=r"--config-dir content differs \(data/mine.yaml changed\)"):
        sweep()
    assert len(study.get_trials()) == 2


def test_sigint_before_a_trial_has_a_result_fails_and_queues_it_at_once(tmp_path, session_cache):
    dry = ["sweep.study=dry", "search_space=tiny", "sweep.n_trials=2", "sweep.heartbeat.grace=600"]
    interrupted = _har_sweep(
        tmp_path,
        session_cache,
        *dry,
        "sweep.objective._target_=har.sweep.faults.interrupted",
        "+sweep.objective.after_run=false",
    )
    assert interrupted.returncode == 130, interrupted.stderr
    study = _study(tmp_path, "dry")
    failed, queued = study.get_trials()
    assert failed.state == TrialState.FAIL and failed.system_attrs[RETRIED] == "interrupted"
    assert queued.state == TrialState.WAITING and queued.system_attrs["fixed_params"] == failed.params
    resumed = compose(  # the same command again, in this process
        "sweep",
        [f"paths.root={tmp_path}", f"paths.cache_dir={session_cache}", "logger=none", "sweep.workers=1"]
        + ["sweep.export=false", f"paths.output_dir={tmp_path / 'sweeps' / 'dry'}", *dry]
        + ["sweep.objective._target_=har.sweep.objective.dry_run"],
    )
    run_sweep(resumed)
    states = [t.state for t in study.get_trials()]
    assert states == [TrialState.FAIL, TrialState.COMPLETE, TrialState.COMPLETE]  # no wait for the grace
    retry = study.get_trials()[1]
    assert retry.params == failed.params and retry.value == dry_run_value(retry.params, "val/macro_f1")
