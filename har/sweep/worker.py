"""A sweep worker: a process that takes the study's next trial until `n_trials` are done.

    python -m har.sweep.worker <sweep_dir>/sweep.yaml <worker index>

Started by `run_sweep` (N on one machine) or by hand on other machines against the same
storage. Thread counts and the GPU are set from the environment before TensorFlow loads.
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
    gpus = list(cfg.gpus or [])
    if gpus:
        os.environ["CUDA_VISIBLE_DEVICES"] = str(gpus[index % len(gpus)])
        os.environ["TF_FORCE_GPU_ALLOW_GROWTH"] = "true"
    else:
        os.environ["CUDA_VISIBLE_DEVICES"] = ""
    threads = max(1, (os.cpu_count() or 1) // max(1, int(cfg.workers)))
    for variable in ("TF_NUM_INTRAOP_THREADS", "OMP_NUM_THREADS"):
        os.environ[variable] = str(threads)
    os.environ["TF_NUM_INTEROP_THREADS"] = "1" if threads == 1 else "2"


def finished_or_running(study) -> int:
    from optuna.trial import TrialState

    done = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL, TrialState.RUNNING)
    return len(study.get_trials(deepcopy=False, states=done))


def work(cfg: DictConfig, index: int) -> int:
    """Run trials until the study has `n_trials` or the timeout passes; return how many ran here."""
    import optuna
    from filelock import FileLock

    from har.config import instantiate
    from har.sweep.objective import describe_error, run_trial
    from har.sweep.space import parse_space
    from har.sweep.storage import Heartbeat, fail_stale_trials, make_storage

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    sweep_dir = Path(cfg.sweep_dir)
    storage = make_storage(cfg.storage, sweep_dir / "journal.log")
    sampler_cfg = cfg.sampler.copy()
    if "seed" in sampler_cfg:  # the same seed in every worker would sample the same points
        sampler_cfg.seed = int(sampler_cfg.seed) + 1000 * index
    study = optuna.load_study(
        study_name=cfg.study,
        storage=storage,
        sampler=instantiate(sampler_cfg, "sweep.sampler"),
        pruner=instantiate(cfg.pruner, "sweep.pruner"),
    )
    params = parse_space(OmegaConf.to_container(cfg.search_space), f"search_space={cfg.search_space_name}")
    # The count-then-ask step is locked among this machine's workers, so they finish exactly
    # n_trials; workers on other machines (SQL storage) may overshoot by one trial each.
    lock = FileLock(str(sweep_dir / "ask.lock"))
    deadline = time.time() + cfg.timeout if cfg.timeout else None
    ran = 0
    while deadline is None or time.time() < deadline:
        with lock:
            fail_stale_trials(study, cfg.heartbeat.grace, cfg.heartbeat.max_retry)
            if finished_or_running(study) >= cfg.n_trials:
                break
            trial = study.ask()
        with Heartbeat(storage, trial._trial_id, cfg.heartbeat.interval):
            trial.set_user_attr("worker", f"{os.uname().nodename}:{os.getpid()}:{index}")
            try:
                values = run_trial(trial, cfg, params, sweep_dir)
            except optuna.TrialPruned:
                study.tell(trial, state=optuna.trial.TrialState.PRUNED)
            except Exception as error:  # one bad trial never stops the sweep
                trial.set_user_attr("error", describe_error(error))
                study.tell(trial, state=optuna.trial.TrialState.FAIL)
                print(f"[worker {index}] trial {trial.number} failed: {describe_error(error)}", flush=True)
            else:
                study.tell(trial, values)
        ran += 1
    return ran


def main() -> None:
    path, index = Path(sys.argv[1]), int(sys.argv[2])
    cfg = OmegaConf.load(path)
    pin_resources(cfg, index)
    # isort: off
    import har  # noqa: F401  (sets TensorFlow's quiet defaults before it loads)
    import tensorflow as tf

    # isort: on

    # The environment variables above cover OpenMP; TensorFlow's own pools are set here,
    # before its runtime starts.
    tf.config.threading.set_intra_op_parallelism_threads(int(os.environ["TF_NUM_INTRAOP_THREADS"]))
    tf.config.threading.set_inter_op_parallelism_threads(int(os.environ["TF_NUM_INTEROP_THREADS"]))
    ran = work(cfg, index)
    print(f"[worker {index}] ran {ran} trial(s)", flush=True)


if __name__ == "__main__":
    main()
