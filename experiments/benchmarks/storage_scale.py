"""Storage at scale: many sweep workers, dry-run trials, journal file vs PostgreSQL.

    python experiments/benchmarks/storage_scale.py [--workers 16] [--trials-per-worker 50]
        [--kills 4] [--storage journal postgresql] [--postgres-url URL]

For each storage: a clean run (W worker processes share a study of W x T trials, each trial
sampled and told by `sweep.objective=dry_run`, no training), then the same with `--kills`
workers SIGKILLed at random moments and restarted (there each trial sleeps 0.1 s, so that
kills land inside trials as well as between them). Both use har's own worker
(`python -m har.sweep.worker`): file lock, heartbeats, stale trials failed and retried.
Every run is checked (`check`): each trial recorded once, none RUNNING or WAITING, every
value the one its parameters give, every killed trial failed with its reason and retried.
Prints trials/s per storage: over the whole run (process start-up included) and between the
first trial's start and the last trial's end.
"""

from __future__ import annotations

import har

har.configure_process()  # an entry point: quiet TensorFlow, nothing written under ~

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import optuna
from omegaconf import OmegaConf
from optuna.trial import FrozenTrial, TrialState

from har.config import compose
from har.io import write_text
from har.sweep.driver import worker_config
from har.sweep.objective import dry_run_value
from har.sweep.storage import RETRIED, RETRY_OF, make_storage

optuna.logging.set_verbosity(optuna.logging.WARNING)
POSTGRES_URL = os.environ.get("HAR_TEST_POSTGRES_URL", "postgresql+psycopg2://har:har@127.0.0.1:5432/har")


@dataclass
class Run:
    storage: str
    workers: int
    n_trials: int
    kills: int
    seconds: float
    trials_per_second: float
    steady_trials_per_second: float
    counts: dict[str, int]
    study: optuna.Study
    killed: list[int]  # trials whose worker was SIGKILLed inside them (only with in_trials)


def prepare(
    root: Path, name: str, storage: str | None, n_trials: int, workers: int, grace: float, seconds: float
) -> Path:
    """A sweep folder with the workers' `sweep.yaml` and a fresh study; returns its config path."""
    cfg = compose(
        "sweep",
        [
            f"paths.root={root}",
            f"paths.output_dir={root / name}",
            f"paths.cache_dir={root / 'cache'}",
            "logger=none",
            f"sweep.study={name}",
            f"sweep.storage={storage or 'null'}",
            f"sweep.n_trials={n_trials}",
            f"sweep.workers={workers}",
            "sweep.search_space=tiny",
            "sweep.objective._target_=har.sweep.objective.dry_run",
            f"+sweep.objective.seconds={seconds}",
            "sweep.sampler._target_=har.sweep.factories.random",  # TPE's cost grows with the trials
            "~sweep.sampler.n_startup_trials",
            "sweep.heartbeat.interval=1",
            f"sweep.heartbeat.grace={grace}",
        ],
    )
    sweep_dir = Path(cfg.paths.output_dir)
    sweep_dir.mkdir(parents=True)
    path = write_text(sweep_dir / "sweep.yaml", OmegaConf.to_yaml(worker_config(cfg)))
    optuna.create_study(
        study_name=name, storage=make_storage(storage, sweep_dir / "journal.log"), direction="maximize"
    )
    return path


def start_worker(config: Path, index: int) -> subprocess.Popen:
    log = open(config.parent / f"worker-{index}.log", "a")  # noqa: SIM115 (the child keeps it)
    try:
        return subprocess.Popen(
            [sys.executable, "-m", "har.sweep.worker", str(config), str(index)],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: a kill takes the heartbeat thread too
        )
    finally:
        log.close()


def run_workers(
    config: Path,
    workers: int,
    kills: int,
    rng: random.Random,
    expected_s: float,
    *,
    study: optuna.Study | None = None,
) -> tuple[float, list[int]]:
    """Start the workers; SIGKILL `kills` of them and restart each; wait for all of them.

    Kills land at random moments (some while a worker still imports, or between trials), or,
    given `study`, each inside a trial: a worker is killed only while it runs a trial that is
    not itself a retry, and the kill counts only if that trial is still RUNNING once the
    worker is dead. Returns the seconds taken and the numbers of the trials killed inside.
    """
    started = time.perf_counter()
    processes = [start_worker(config, index) for index in range(workers)]
    moments = sorted(rng.uniform(0.2, 0.9) * expected_s for _ in range(kills))
    killed: list[int] = []
    for moment in moments:
        time.sleep(max(0.0, started + moment - time.perf_counter()))
        if study is None:
            alive = [i for i, p in enumerate(processes) if p.poll() is None]
            if alive:
                _kill_and_restart(processes, rng.choice(alive), config)
            continue
        wanted, deadline = len(killed) + 1, time.perf_counter() + 120
        while len(killed) < wanted and time.perf_counter() < deadline:
            running = _running_trials(study, processes)
            if not running:
                time.sleep(0.02)
                continue
            index, trial = rng.choice(sorted(running.items()))
            _kill_and_restart(processes, index, config)
            if study._storage.get_trial(trial._trial_id).state == TrialState.RUNNING:
                killed.append(trial.number)  # it had not finished when its worker died
    for index, process in enumerate(processes):
        if process.wait() != 0:
            log = (config.parent / f"worker-{index}.log").read_text()[-3000:]
            raise RuntimeError(f"worker {index} exited with {process.returncode}:\n{log}")
    return time.perf_counter() - started, killed


def _kill_and_restart(processes: list[subprocess.Popen], index: int, config: Path) -> None:
    os.killpg(processes[index].pid, signal.SIGKILL)
    processes[index].wait()
    processes[index] = start_worker(config, index)


def _running_trials(study: optuna.Study, processes: list[subprocess.Popen]) -> dict[int, FrozenTrial]:
    """Worker index -> the first-attempt trial it is running now (its `worker` attribute)."""
    alive = {p.pid: i for i, p in enumerate(processes) if p.poll() is None}
    running = {}
    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        worker = trial.user_attrs.get("worker", "")  # host:pid:index
        pid = int(worker.rsplit(":", 2)[1]) if worker.count(":") >= 2 else None
        if pid in alive and RETRY_OF not in trial.system_attrs:
            running[alive[pid]] = trial
    return running


def check(study: optuna.Study, n_trials: int, killed: list[int] = ()) -> dict[str, int]:
    """Assert that nothing was lost, duplicated or left half-done; return the counts.

    Each trial of `killed` (its worker died inside it) must be failed for its heartbeats and
    retried once with its parameters.
    """
    trials = study.get_trials(deepcopy=False)
    numbers = sorted(t.number for t in trials)
    problems = []
    if numbers != list(range(len(trials))):
        problems.append("trial numbers are not 0..n-1 exactly once each")
    left = [t.number for t in trials if t.state in (TrialState.RUNNING, TrialState.WAITING)]
    if left:
        problems.append(f"trials left RUNNING or WAITING: {left}")
    retried = [t for t in trials if t.state == TrialState.FAIL and t.system_attrs.get(RETRIED)]
    failed = [t for t in trials if t.state == TrialState.FAIL]
    complete = [t for t in trials if t.state == TrialState.COMPLETE]
    if len(trials) - len(retried) != n_trials:
        problems.append(f"{len(trials) - len(retried)} trials count towards the study, not {n_trials}")
    wrong = [t.number for t in complete if t.value != dry_run_value(t.params, "val/macro_f1")]
    if wrong:
        problems.append(f"values that do not belong to their trial's parameters: {wrong}")
    unexplained = [t.number for t in failed if "heartbeats" not in t.user_attrs.get("error", "")]
    if unexplained:
        problems.append(f"FAIL trials without the reason: {unexplained}")
    retries = {t.user_attrs.get("retry_of") for t in trials if "retry_of" in t.user_attrs}
    by_number = {t.number: t for t in trials}
    for trial in retried:
        original = trial.system_attrs.get(RETRY_OF, trial.number)
        if original not in retries:
            problems.append(f"trial {trial.number} was marked retried but no retry exists")
        elif by_number[original].params != trial.params:
            problems.append(f"the retry of trial {original} has other parameters")
    retried_numbers = {t.number for t in retried}
    not_retried = [n for n in killed if n not in retried_numbers or n not in retries]
    if not_retried:
        problems.append(f"trials killed inside were not failed and retried: {not_retried}")
    if problems:
        raise AssertionError("; ".join(problems))
    return {
        "trials": len(trials),
        "complete": len(complete),
        "failed_killed": len(failed),
        "retried": len(retried),
    }


def measure(
    root: Path,
    storage: str | None,
    workers: int,
    per_worker: int,
    kills: int,
    *,
    grace: float = 10,
    seed: int = 0,
    in_trials: bool = False,
) -> Run:
    """One run on one storage; `kills` workers SIGKILLed and restarted (0 for a clean run).

    Args:
        in_trials: every kill lands inside a trial (see `run_workers`); trials then last
            0.5 s instead of 0.1 s, so that there is a trial to land in.
    """
    kind = "postgresql" if storage else "journal"
    name = f"scale-{kind}-{kills}k-{os.getpid()}-{int(time.time())}"
    n_trials = workers * per_worker
    # In the kill runs each trial lasts a while, so that kills land inside trials too.
    seconds = (0.5 if in_trials else 0.1) if kills else 0.0
    config = prepare(root, name, storage, n_trials, workers, grace, seconds)
    study = optuna.load_study(study_name=name, storage=make_storage(storage, config.parent / "journal.log"))
    expected_s = max(2.0, n_trials / 40)  # kills land while workers are busy
    seconds, killed = run_workers(
        config, workers, kills, random.Random(seed), expected_s, study=study if in_trials else None
    )
    counts = check(study, n_trials, killed)
    trials = study.get_trials(deepcopy=False)
    first = min(t.datetime_start for t in trials if t.datetime_start)
    last = max(t.datetime_complete for t in trials if t.datetime_complete)
    steady = (last - first).total_seconds()
    return Run(
        kind, workers, n_trials, kills, seconds, n_trials / seconds, n_trials / steady, counts, study, killed
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=16)
    parser.add_argument("--trials-per-worker", type=int, default=50)
    parser.add_argument("--kills", type=int, default=4)
    parser.add_argument("--storage", nargs="+", default=["journal", "postgresql"])
    parser.add_argument("--postgres-url", default=POSTGRES_URL)
    parser.add_argument("--grace", type=float, default=10, help="heartbeat grace, seconds")
    args = parser.parse_args()
    urls = {"journal": None, "postgresql": args.postgres_url}
    with tempfile.TemporaryDirectory() as folder:
        for kind in args.storage:
            for kills in (0, args.kills):
                run = measure(
                    Path(folder), urls[kind], args.workers, args.trials_per_worker, kills, grace=args.grace
                )
                print(
                    f"{run.storage:<10} {run.workers} workers x {args.trials_per_worker} trials, "
                    f"{run.kills} SIGKILLed: {run.n_trials} trials in {run.seconds:.1f} s = "
                    f"{run.trials_per_second:.1f} trials/s ({run.steady_trials_per_second:.1f} trials/s "
                    f"from first start to last end); {run.counts}; nothing lost",
                    flush=True,
                )
                if run.storage == "postgresql":
                    optuna.delete_study(study_name=run.study.study_name, storage=urls[kind])


if __name__ == "__main__":
    main()
