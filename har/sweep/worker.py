"""A sweep worker: a process that takes the study's next trial until `n_trials` are done.

    python -m har.sweep.worker <sweep_dir>/sweep.yaml <worker index>

Started by `run_sweep` (N on one machine) or by hand on other machines against the same
storage. Thread counts and the GPU are set in the environment before TensorFlow loads (only
the training objective loads it).
"""

from __future__ import annotations

import os
import sys
import time
import warnings
from pathlib import Path

from omegaconf import DictConfig, OmegaConf


def pin_resources(cfg: DictConfig, index: int) -> None:
    """One GPU per worker (`sweep.gpus`), else an equal share of the CPU threads."""
    gpus = list(cfg.sweep.gpus or [])
    if gpus:
        os.environ["CUDA_VISIBLE_DEVICES"] = str(gpus[index % len(gpus)])
        os.environ["TF_FORCE_GPU_ALLOW_GROWTH"] = "true"
    else:
        os.environ["CUDA_VISIBLE_DEVICES"] = ""
    threads = max(1, (os.cpu_count() or 1) // max(1, int(cfg.sweep.workers)))
    for variable in ("TF_NUM_INTRAOP_THREADS", "OMP_NUM_THREADS"):
        os.environ[variable] = str(threads)
    os.environ["TF_NUM_INTEROP_THREADS"] = "1" if threads == 1 else "2"


def trial_slots(study) -> tuple[int, bool, bool]:
    """How many of the study's `n_trials` are taken, and whether any trial runs or waits.

    Every trial takes a slot except a FAIL trial that was queued again after its worker died
    (its retry takes the slot instead), so a killed trial does not shorten the sweep.
    """
    from optuna.trial import TrialState

    from har.sweep.storage import RETRIED

    trials = study.get_trials(deepcopy=False)
    taken = sum(1 for t in trials if not (t.state == TrialState.FAIL and t.system_attrs.get(RETRIED)))
    running = any(t.state == TrialState.RUNNING for t in trials)
    waiting = any(t.state == TrialState.WAITING for t in trials)
    return taken, running, waiting


def work(cfg: DictConfig, index: int) -> int:
    """Run trials until the study has `n_trials` or the timeout passes; return how many ran here.

    When every slot is taken but trials still run elsewhere, the worker waits for them
    instead of leaving: if one of their workers died, its trial goes stale, is failed and is
    retried here, so the sweep never ends with a trial stuck RUNNING while a worker lives.
    """
    import optuna
    from filelock import FileLock

    from har.config import instantiate
    from har.sweep.space import parse_space
    from har.sweep.storage import Heartbeat, fail_stale_trials, make_storage

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    sweep, sweep_dir = cfg.sweep, Path(cfg.paths.output_dir)
    storage = make_storage(sweep.storage, sweep_dir / "journal.log")
    sampler_cfg = sweep.sampler.copy()
    if "seed" in sampler_cfg:  # the same seed in every worker would sample the same points
        sampler_cfg.seed = int(sampler_cfg.seed) + 1000 * index
    study = optuna.load_study(
        study_name=sweep.study,
        storage=storage,
        sampler=instantiate(sampler_cfg, "sweep.sampler"),
        pruner=instantiate(sweep.pruner, "sweep.pruner"),
    )
    objective = instantiate(sweep.objective, "sweep.objective")
    params = parse_space(OmegaConf.to_container(cfg.search_space), f"search_space={sweep.search_space}")
    # The count-then-ask step is locked among this machine's workers, so they finish exactly
    # n_trials; workers on other machines (SQL storage) may overshoot by one trial each.
    lock = FileLock(str(sweep_dir / "ask.lock"))
    deadline = time.time() + sweep.timeout if sweep.timeout else None
    ran = 0
    while deadline is None or time.time() < deadline:
        with lock:
            fail_stale_trials(study, sweep.heartbeat.grace, sweep.heartbeat.max_retry)
            taken, running, waiting = trial_slots(study)
            full = taken >= sweep.n_trials and not waiting  # queued trials (retries) always run
            trial = None if full else study.ask()
        if trial is None:
            if not running:
                break
            time.sleep(sweep.heartbeat.interval)
            continue
        with Heartbeat(storage, trial._trial_id, sweep.heartbeat.interval):
            try:
                _run_and_tell(study, trial, objective, cfg, params, index)
            except RuntimeError:
                if not storage.get_trial(trial._trial_id).state.is_finished():
                    raise
                # Another worker failed this trial as stale (our heartbeats came later than
                # sweep.heartbeat.grace) and queued its retry; the study stays consistent.
                print(
                    f"[worker {index}] trial {trial.number} was failed by another worker (heartbeat "
                    f"later than {sweep.heartbeat.grace} s); its retry carries on",
                    flush=True,
                )
        ran += 1
    return ran


def _run_and_tell(study, trial, objective, cfg: DictConfig, params, index: int) -> None:
    """Run one trial and record its outcome; any error of the objective fails only this trial."""
    import optuna

    from har.sweep.objective import describe_error

    trial.set_user_attr("worker", f"{os.uname().nodename}:{os.getpid()}:{index}")
    try:
        values = objective(trial, cfg, params, Path(cfg.paths.output_dir))
    except optuna.TrialPruned:
        study.tell(trial, state=optuna.trial.TrialState.PRUNED)
    except optuna.exceptions.UpdateFinishedTrialError:
        raise  # the trial was taken from this worker (see work)
    except Exception as error:  # one bad trial never stops the sweep
        trial.set_user_attr("error", describe_error(error))
        study.tell(trial, state=optuna.trial.TrialState.FAIL)
        print(f"[worker {index}] trial {trial.number} failed: {describe_error(error)}", flush=True)
    else:
        study.tell(trial, values)


def main() -> None:
    path, index = Path(sys.argv[1]), int(sys.argv[2])
    cfg = OmegaConf.load(path)
    pin_resources(cfg, index)  # before TensorFlow loads (the objective sizes its own pools)
    ran = work(cfg, index)
    print(f"[worker {index}] ran {ran} trial(s)", flush=True)


if __name__ == "__main__":
    main()
