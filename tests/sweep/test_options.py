"""Sweep options on real storage with in-process workers and dry-run trials (no TensorFlow).

Samplers (grid, CMA-ES, NSGA-II), pruners (successive halving, Hyperband), `sweep.timeout`
and the config every worker receives. A worker here is `work(worker_config(cfg), index)`
called in this process: the code a worker process runs, without its start-up.
"""

from __future__ import annotations

import time
from itertools import product
from pathlib import Path

import optuna
import pytest
from omegaconf import OmegaConf, open_dict
from optuna.trial import TrialState

from har.config import to_container
from har.sweep.best import best_trials, pick
from har.sweep.driver import worker_config
from har.sweep.objective import dry_run_value
from har.sweep.space import load_space
from har.sweep.storage import make_storage
from har.sweep.worker import work

DRY_RUN = "sweep.objective._target_=har.sweep.objective.dry_run"
NO_TPE = ["~sweep.sampler.n_startup_trials"]  # a TPE-only option, for the other samplers
FLOATS = """params:
  optimizer.learning_rate: {type: float, low: 1.0e-4, high: 1.0e-2, log: true}
  model.build.dropout_rate: {type: float, low: 0.0, high: 0.5}
"""


def _study(compose_sweep, *overrides: str) -> tuple[optuna.Study, dict]:
    """A fresh study for the composed sweep, and the config its workers get."""
    cfg = compose_sweep(DRY_RUN, *overrides)
    worker_cfg = worker_config(cfg)
    study = optuna.create_study(
        study_name=cfg.sweep.study,
        storage=make_storage(None, Path(cfg.paths.output_dir) / "journal.log"),
        directions=list(cfg.sweep.directions),
    )
    return study, worker_cfg


def _space(tmp_path: Path, text: str) -> str:
    path = tmp_path / "space.yaml"
    path.write_text(text)
    return f"sweep.search_space={path}"


def _states(study: optuna.Study) -> list[str]:
    return [t.state.name for t in study.get_trials(deepcopy=False)]


def test_workers_get_the_whole_composed_config(compose_sweep, tmp_path):
    cfg = compose_sweep("sweep.search_space=tiny", "paths.root=relative")
    with open_dict(cfg):  # a key conf/sweep.yaml may gain (`+sweep.a_new_key` is refused: nothing reads it)
        cfg.sweep.a_new_key = 7
    worker_cfg = worker_config(cfg)
    composed = to_container(cfg)
    handed = OmegaConf.to_container(worker_cfg)
    assert handed.pop("search_space") == load_space("tiny")  # read once, by the driver
    resolved = {"workers", "gpus", "placement"}  # this machine's placement, resolved by the driver
    assert handed["sweep"]["workers"] == 1 and handed["sweep"]["gpus"] == [] and handed["sweep"]["placement"]
    assert {k: v for k, v in handed["sweep"].items() if k not in resolved} == {
        k: v for k, v in composed["sweep"].items() if k not in resolved
    }
    assert handed["sweep"]["a_new_key"] == 7  # nothing dropped, a new key included
    assert handed["logger"] == composed["logger"] and set(handed) == set(composed)
    assert handed["paths"]["root"] == str(Path("relative").resolve())  # a worker may start elsewhere
    assert all(Path(p).is_absolute() for p in handed["paths"].values())


def test_grid_sampler_visits_every_point_once(compose_sweep, tmp_path):
    grid = "{model:[cnn,dscnn],augment:[none,light]}"
    study, worker_cfg = _study(
        compose_sweep,
        _space(
            tmp_path,
            "params:\n  model: {type: categorical, choices: [cnn, dscnn]}\n"
            "  augment: {type: categorical, choices: [none, light]}\n",
        ),
        "sweep.sampler._target_=har.sweep.factories.grid",
        "~sweep.sampler.seed",
        *NO_TPE,
        f"+sweep.sampler.search_space={grid}",
        "sweep.n_trials=4",
    )
    assert work(worker_cfg, 0) == 4
    visited = sorted((t.params["model"], t.params["augment"]) for t in study.get_trials())
    assert visited == sorted(product(["cnn", "dscnn"], ["none", "light"]))
    assert _states(study) == ["COMPLETE"] * 4


def test_cmaes_sampler_models_the_continuous_parameters(compose_sweep, tmp_path):
    study, worker_cfg = _study(
        compose_sweep,
        _space(tmp_path, FLOATS),
        "sweep.sampler._target_=har.sweep.factories.cmaes",
        *NO_TPE,
        "sweep.n_trials=6",
    )
    assert work(worker_cfg, 0) == 6
    trials = study.get_trials()
    assert _states(study) == ["COMPLETE"] * 6
    # after its first (independent) trial, CMA-ES keeps its state in the trials it samples
    assert any(key.startswith("cma:") for t in trials[1:] for key in t.system_attrs)
    for trial in trials:
        assert 1e-4 <= trial.params["optimizer.learning_rate"] <= 1e-2
        assert trial.value == dry_run_value(trial.params, "val/macro_f1")


def test_nsga2_sampler_on_two_objectives_gives_a_pareto_front(compose_sweep, tmp_path):
    study, worker_cfg = _study(
        compose_sweep,
        _space(tmp_path, FLOATS),
        "sweep.objectives=[val/macro_f1,model/params]",
        "sweep.directions=[maximize,minimize]",
        "sweep.sampler._target_=har.sweep.factories.nsga2",
        "+sweep.sampler.population_size=4",
        *NO_TPE,
        "sweep.n_trials=10",
    )
    assert work(worker_cfg, 0) == 10
    trials = study.get_trials()
    assert max(t.system_attrs.get("NSGAIISampler:generation", 0) for t in trials) == 2  # bred, not random
    front = best_trials(study)
    assert front and all(len(t.values) == 2 for t in front)
    for trial in front:  # no trial is better on both objectives than a point of the front
        assert not any(t.values[0] > trial.values[0] and t.values[1] < trial.values[1] for t in trials)
    assert pick(front, 99) == front[-1] and pick(front, 0) == front[0]


@pytest.mark.parametrize(
    ("pruner", "options"),
    [
        ("successive_halving", ["sweep.pruner.min_resource=1", "sweep.pruner.reduction_factor=3"]),
        (
            "hyperband",
            ["sweep.pruner.min_resource=1", "sweep.pruner.max_resource=9", "sweep.pruner.reduction_factor=3"],
        ),
        ("no_pruning", []),
    ],
)
def test_pruners_stop_trials_at_their_rungs(compose_sweep, tmp_path, pruner, options):
    study, worker_cfg = _study(
        compose_sweep,
        _space(tmp_path, FLOATS),
        "+sweep.objective.steps=10",  # one past the last rung (9)
        "sweep.sampler._target_=har.sweep.factories.random",
        *NO_TPE,
        f"sweep.pruner._target_=har.sweep.factories.{pruner}",
        "~sweep.pruner.n_startup_trials",
        "~sweep.pruner.n_warmup_steps",
        *[f"+{option}" for option in options],
        "sweep.n_trials=12",
    )
    assert work(worker_cfg, 0) == 12
    trials = study.get_trials()
    pruned = [t for t in trials if t.state == TrialState.PRUNED]
    complete = [t for t in trials if t.state == TrialState.COMPLETE]
    assert len(pruned) + len(complete) == 12
    if pruner == "no_pruning":
        assert not pruned and all(len(t.intermediate_values) == 10 for t in complete)
        return
    assert pruned and complete  # some stopped early, some ran every step
    for trial in pruned:  # stopped at a rung: 1, 3 or 9 steps (min_resource x reduction_factor^k)...
        assert trial.user_attrs["pruned_after_epoch"] == max(trial.intermediate_values) in (1, 3, 9)
    # ...never at the last: a trial that ran its whole schedule has its value
    assert all(t.state == TrialState.COMPLETE for t in trials if len(t.intermediate_values) == 10)


def test_a_trial_that_ran_its_whole_schedule_is_never_pruned(compose_sweep, tmp_path):
    # one step each: the median pruner would stop every trial below the median at its last step
    study, worker_cfg = _study(
        compose_sweep,
        _space(tmp_path, FLOATS),
        "+sweep.objective.steps=1",
        "sweep.sampler._target_=har.sweep.factories.random",
        *NO_TPE,
        "sweep.pruner.n_startup_trials=1",
        "sweep.pruner.n_warmup_steps=0",
        "sweep.n_trials=6",
    )
    assert work(worker_cfg, 0) == 6
    assert [t.state for t in study.get_trials()] == [TrialState.COMPLETE] * 6


def test_timeout_stops_starting_trials(compose_sweep, tmp_path):
    study, worker_cfg = _study(
        compose_sweep,
        "+sweep.objective.seconds=0.5",
        "sweep.timeout=2",
        "sweep.n_trials=100",
        "sweep.sampler._target_=har.sweep.factories.random",
        *NO_TPE,
    )
    started = time.perf_counter()
    ran = work(worker_cfg, 0)
    elapsed = time.perf_counter() - started
    assert 2 <= ran <= 6 and len(study.get_trials()) == ran  # far from the 100 asked for
    assert _states(study) == ["COMPLETE"] * ran  # the last one finished; none left running
    assert elapsed < 2 + 0.5 + 1.5
