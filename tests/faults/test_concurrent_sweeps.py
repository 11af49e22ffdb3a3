"""Two sweeps started at once on one study, and a sweep resumed from a copy of its journal.

Trials are dry runs (`sweep.objective=dry_run`: sampled and told, nothing trained), so these
tests exercise the storage, the workers and the drivers, not TensorFlow.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState

from har.sweep.driver import run_sweep
from har.sweep.objective import dry_run_value
from har.sweep.storage import make_storage

pytestmark = [pytest.mark.faults, pytest.mark.slow]  # har-sweep processes

DRY = [
    "logger=none",
    "sweep.export=false",
    "sweep.search_space=tiny",
    "sweep.objective._target_=har.sweep.objective.dry_run",
    "+sweep.objective.seconds=0.05",
    "sweep.heartbeat.interval=1",
    "sweep.heartbeat.grace=3",
]


def _har_sweep(*overrides: str) -> subprocess.Popen:
    return subprocess.Popen(
        [str(Path(sys.executable).parent / "har-sweep"), *DRY, *overrides],
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _check_recorded_once(study: optuna.Study) -> list[optuna.trial.FrozenTrial]:
    trials = study.get_trials()
    assert sorted(t.number for t in trials) == list(range(len(trials)))
    assert {t.state for t in trials} == {TrialState.COMPLETE}  # none RUNNING, WAITING or FAIL
    assert all(t.value == dry_run_value(t.params, "val/macro_f1") for t in trials)
    return trials


def test_two_sweeps_started_at_once_on_one_journal(tmp_path):
    common = [f"paths.root={tmp_path}", f"paths.output_dir={tmp_path / 'sweep'}", "sweep.study=twice"]
    sweeps = [_har_sweep(*common, "sweep.workers=2", "sweep.n_trials=12") for _ in range(2)]
    outputs = [s.communicate(timeout=180)[0] for s in sweeps]
    assert [s.returncode for s in sweeps] == [0, 0], outputs
    study = optuna.load_study(
        study_name="twice", storage=make_storage(None, tmp_path / "sweep" / "journal.log")
    )
    trials = _check_recorded_once(study)
    assert len(trials) == 12  # the workers of both share the machine's lock: exactly n_trials
    assert len({t.user_attrs["worker"].rsplit(":", 2)[1] for t in trials}) > 1
    assert "Trials: 12 (complete 12)" in (tmp_path / "sweep" / "summary.md").read_text()


def test_two_machines_started_at_once_on_postgresql(tmp_path, postgres_url):
    name = f"twice-{tmp_path.name}-{int(time.time())}"
    sweeps = [
        _har_sweep(
            f"paths.root={tmp_path}",
            f"paths.output_dir={tmp_path / f'machine{i}'}",  # two machines: two folders, two locks
            f"sweep.study={name}",
            f"sweep.storage={postgres_url}",
            "sweep.workers=2",
            "sweep.n_trials=12",
        )
        for i in range(2)
    ]
    outputs = [s.communicate(timeout=180)[0] for s in sweeps]
    assert [s.returncode for s in sweeps] == [0, 0], outputs
    trials = _check_recorded_once(optuna.load_study(study_name=name, storage=postgres_url))
    assert 12 <= len(trials) <= 13  # documented: the other machine may overshoot by one trial
    optuna.delete_study(study_name=name, storage=postgres_url)


def _open(url: str, results) -> None:
    try:
        make_storage(url, Path("unused"))
        results.put("opened")
    except Exception as error:
        results.put(f"{type(error).__name__}: {error}")


def test_machines_opening_a_new_database_at_once_all_open_it(postgres_url):
    """Each creates Optuna's tables; the losers of that race (a duplicate pg_type row) try again.

    A new schema stands for a new database (the test role may not create databases).
    """
    import multiprocessing

    import sqlalchemy

    schema = f"fresh_{os.getpid()}_{int(time.time() * 1000)}"
    engine = sqlalchemy.create_engine(postgres_url)
    with engine.begin() as connection:
        connection.execute(sqlalchemy.text(f"CREATE SCHEMA {schema}"))
    try:
        url = f"{postgres_url}?options=-csearch_path%3D{schema}"
        results = multiprocessing.get_context("fork").Queue()
        processes = [
            multiprocessing.get_context("fork").Process(target=_open, args=(url, results)) for _ in range(3)
        ]
        for process in processes:
            process.start()
        for process in processes:
            process.join(timeout=120)
        assert sorted(results.get(timeout=5) for _ in processes) == ["opened"] * 3
    finally:
        with engine.begin() as connection:
            connection.execute(sqlalchemy.text(f"DROP SCHEMA {schema} CASCADE"))
        engine.dispose()


def test_resuming_from_a_copy_of_the_journal_forks_the_study(tmp_path, compose_sweep):
    first = run_sweep(compose_sweep(*DRY, "sweep.n_trials=4")).study
    killed = first.ask()  # a trial whose worker died mid-trial: RUNNING, no heartbeat
    killed.suggest_categorical("model", ["cnn", "dscnn"])
    original = tmp_path / "sweep" / "journal.log"
    copy = tmp_path / "elsewhere" / "journal.log"
    copy.parent.mkdir()
    shutil.copyfile(original, copy)
    before = original.read_bytes()
    time.sleep(3.5)  # past the heartbeat grace
    resumed = run_sweep(compose_sweep(*DRY, "sweep.n_trials=6", f"paths.output_dir={copy.parent}")).study
    trials = resumed.get_trials()
    assert [(t.params, t.value) for t in trials[:4]] == [(t.params, t.value) for t in first.get_trials()[:4]]
    stale = trials[killed.number]
    assert stale.state == TrialState.FAIL and "heartbeats" in stale.user_attrs["error"]
    retry = [t for t in trials if t.user_attrs.get("retry_of") == killed.number]
    assert len(retry) == 1 and retry[0].state == TrialState.COMPLETE
    assert retry[0].params.items() >= stale.params.items()  # what it had sampled is kept
    assert sum(1 for t in trials if t.state == TrialState.COMPLETE) == 6
    assert original.read_bytes() == before  # the copy is a fork: the original study is untouched
    assert first.get_trials()[killed.number].state == TrialState.RUNNING  # until it is resumed itself
