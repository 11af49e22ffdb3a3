"""Sampler randomness per worker process: resumed sweeps and concurrent drivers never replay.

A replayed configuration is an exact repeat of a parameter set: the `tiny` space has a
continuous learning rate, so two equal sets can only come from two samplers drawing the same
random numbers. Trials are dry runs with the random sampler (its every draw is random).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import optuna
import pytest
from omegaconf import OmegaConf

from har.sweep.driver import run_sweep, worker_config
from har.sweep.storage import make_storage
from har.sweep.worker import work

RANDOM_DRY = [
    "logger=none",
    "sweep.export=false",
    "sweep.search_space=tiny",
    "sweep.objective._target_=har.sweep.objective.dry_run",
    "+sweep.objective.seconds=0.05",
    "sweep.sampler._target_=har.sweep.factories.random",
    "~sweep.sampler.n_startup_trials",
    "sweep.sampler.seed=0",
]


def _parameter_sets(study: optuna.Study) -> list[tuple]:
    return [tuple(sorted(t.params.items())) for t in study.get_trials()]


@pytest.mark.slow  # starts worker processes
def test_a_sweep_resumed_twice_never_replays(compose_sweep):
    for n_trials in (4, 8, 12):
        study = run_sweep(compose_sweep(*RANDOM_DRY, "sweep.workers=2", f"sweep.n_trials={n_trials}")).study
    sets = _parameter_sets(study)
    assert len(sets) == 12 and len(set(sets)) == 12


@pytest.mark.slow  # starts worker processes
def test_two_drivers_at_once_never_replay(tmp_path):
    common = [
        *RANDOM_DRY,
        f"paths.root={tmp_path}",
        f"paths.output_dir={tmp_path / 'sweep'}",
        "sweep.study=twice",
        "sweep.workers=2",
        "sweep.n_trials=12",
    ]
    drivers = [
        subprocess.Popen(
            [str(Path(sys.executable).parent / "har-sweep"), *common],
            env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [driver.communicate(timeout=300)[0] for driver in drivers]
    assert [driver.returncode for driver in drivers] == [0, 0], outputs
    study = optuna.load_study(
        study_name="twice", storage=make_storage(None, tmp_path / "sweep" / "journal.log")
    )
    sets = _parameter_sets(study)
    assert len(sets) == 12 and len(set(sets)) == 12
    logs = "".join(p.read_text() for p in (tmp_path / "sweep" / "workers").glob("*.log"))
    seeds = [line.split()[-1] for line in logs.splitlines() if "sampler seed" in line]
    assert len(seeds) >= 2 and len(set(seeds)) == len(seeds)  # every process drew its own seed


def test_one_worker_from_scratch_repeats_exactly(compose_sweep, tmp_path):
    """The guarantee that stays: with one worker, the same seed gives the same configurations."""
    runs = []
    for name in ("first", "second"):
        cfg = compose_sweep(*RANDOM_DRY, "sweep.n_trials=5", f"paths.output_dir={tmp_path / name}")
        sweep_dir = Path(cfg.paths.output_dir)
        sweep_dir.mkdir(parents=True)
        worker_cfg = worker_config(cfg)
        OmegaConf.save(worker_cfg, sweep_dir / "sweep.yaml")
        study = optuna.create_study(
            study_name=cfg.sweep.study,
            storage=make_storage(None, sweep_dir / "journal.log"),
            direction="maximize",
        )
        assert work(worker_cfg, 0) == 5
        runs.append(_parameter_sets(study))
    assert runs[0] == runs[1] and len(set(runs[0])) == 5
