"""A sweep worker: a process that takes the study's next trial until `n_trials` are done.

    python -m har.sweep.worker <sweep_dir>/sweep.yaml <worker index>

Started by `run_sweep` (N on one machine; `har.sweep.pool` replaces one that exits after a
device error) or by hand against the same storage. The device (`har.sweep.placement`),
thread counts and GPU memory are set in the environment before TensorFlow loads (only the
training objective loads it).
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import sys
import time
import warnings
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

import har

EXIT_DEVICE_ERROR = 75  # the worker's trial hit a device error: the driver starts a replacement
EXIT_INTERRUPTED = 130  # Ctrl-C or SIGTERM: its trial was recorded (COMPLETE, or failed and queued again)
IDLE_POLL_S = 1.0  # a worker with no slot left looks again this often while others' trials run


class DeviceLost(Exception):  # not a RuntimeError: `work` treats those as a lost trial
    """This process's device failed (`har.training.devices.is_device_error`); the worker must exit."""


def pin_resources(cfg: DictConfig, index: int) -> str:
    """Give worker `index` its device (`sweep.gpus`, round robin) and a share of the CPU threads.

    Returns the device (`gpu:<id>` or `cpu`), which the worker also exports as `HAR_DEVICE`
    for the runs it trains. GPU ids mean what they meant to the driver: the worker inherits
    its `CUDA_DEVICE_ORDER` (PCI bus order, nvidia-smi's, unless the user set another).
    """
    from har.sweep.placement import worker_device
    from har.training import cpu_cores

    device = worker_device(cfg.sweep.gpus, index)
    os.environ["HAR_DEVICE"] = device
    if device.startswith("gpu:"):
        os.environ["CUDA_VISIBLE_DEVICES"] = device.removeprefix("gpu:")
        os.environ["TF_FORCE_GPU_ALLOW_GROWTH"] = "true"  # workers sharing a GPU take what they use
        if cfg.sweep.get("gpu_memory_mib"):
            os.environ["HAR_GPU_MEMORY_MIB"] = str(int(cfg.sweep.gpu_memory_mib))
    else:
        os.environ["CUDA_VISIBLE_DEVICES"] = ""
    threads = max(1, cpu_cores() // max(1, int(cfg.sweep.workers)))
    for variable in ("TF_NUM_INTRAOP_THREADS", "OMP_NUM_THREADS"):
        os.environ[variable] = str(threads)
    os.environ["TF_NUM_INTEROP_THREADS"] = "1" if threads == 1 else "2"
    return device


def takes_slot(trial) -> bool:
    """Whether a trial counts toward the study's `n_trials`.

    Every trial does, except a FAIL trial that was queued again (`RETRIED` holds why: its
    worker stopped sending heartbeats, or hit a device error): its retry takes the slot
    instead, so a killed worker or a lost GPU does not shorten the sweep. Nor does a FAIL
    trial whose config was refused (`CONFIG_ERROR`: a ConfigError or DataError, nothing
    trained), so a bad corner of the search space does not use the sweep up
    (`config_error_streak` caps those). A new kind of trial that should not count gets its
    rule here, and only here.
    """
    from optuna.trial import TrialState

    from har.sweep.storage import CONFIG_ERROR, RETRIED

    failed = trial.state == TrialState.FAIL
    return not (failed and (trial.system_attrs.get(RETRIED) or trial.system_attrs.get(CONFIG_ERROR)))


def trial_slots(study) -> tuple[int, bool, bool]:
    """How many of the study's `n_trials` are taken, and whether any trial runs or waits."""
    from optuna.trial import TrialState

    trials = study.get_trials(deepcopy=False)
    taken = sum(1 for t in trials if takes_slot(t))
    running = any(t.state == TrialState.RUNNING for t in trials)
    waiting = any(t.state == TrialState.WAITING for t in trials)
    return taken, running, waiting


def config_error_streak(study) -> tuple[int, str]:
    """How many of the latest finished trials failed on a config error in a row, and the last reason."""
    from har.sweep.storage import CONFIG_ERROR

    finished = [t for t in study.get_trials(deepcopy=False) if t.state.is_finished()]
    streak, reason = 0, ""
    for trial in sorted(finished, key=lambda t: t.number, reverse=True):
        if not trial.system_attrs.get(CONFIG_ERROR):
            break
        streak += 1
        reason = reason or str(trial.user_attrs.get("error", ""))
    return streak, reason


def sampler_seed(seed: int, study, domain: str) -> int:
    """This process's sampler seed, drawn just before its first ask, under the ask lock.

    The configured seed is mixed with the study's state at that moment (how many trials,
    how many of them queued) and with `domain` (empty for a journal; host and sweep folder
    for a shared database). Each ask changes that state, and the processes of one domain ask
    under one lock, so no two processes draw the same seed (but for a 2^-32 chance): a
    resumed sweep, a second `har-sweep` or another machine never replays configurations
    already tried. A sweep with one worker started afresh still repeats exactly.
    """
    from optuna.trial import TrialState

    trials = study.get_trials(deepcopy=False)
    waiting = sum(1 for t in trials if t.state == TrialState.WAITING)
    text = json.dumps([int(seed), len(trials), waiting, domain])
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "big")


def work(cfg: DictConfig, index: int) -> int:
    """Run trials until the study has `n_trials` or the timeout passes; return how many ran here.

    When every slot is taken but trials still run elsewhere, the worker waits for them
    instead of leaving: if one of their workers died, its trial goes stale, is failed and is
    retried here, so the sweep never ends with a trial stuck RUNNING while a worker lives.
    It looks every `IDLE_POLL_S` (not every heartbeat interval), so it leaves within a second
    of the last trial's end.

    Raises:
        DeviceLost: a trial hit a device error; it was failed and queued again first.
    """
    import optuna
    from filelock import FileLock

    from har.config import instantiate
    from har.sweep.placement import worker_device
    from har.sweep.space import parse_space
    from har.sweep.storage import make_storage, study_config_dirs

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    sweep_dir = Path(cfg.paths.output_dir)
    storage = make_storage(cfg.sweep.storage, sweep_dir / "journal.log")
    study = optuna.load_study(
        study_name=cfg.sweep.study, storage=storage, pruner=instantiate(cfg.sweep.pruner, "sweep.pruner")
    )
    cfg.config_dirs = study_config_dirs(study)  # the study's copy of --config-dir, made here
    objective = instantiate(cfg.sweep.objective, "sweep.objective")
    params = parse_space(OmegaConf.to_container(cfg.search_space), f"search_space={cfg.sweep.search_space}")
    device = worker_device(cfg.sweep.gpus, index)
    # The count-then-ask step is locked among this machine's workers, so they finish exactly
    # n_trials; workers on other machines (SQL storage) may overshoot by one trial each.
    lock = FileLock(str(sweep_dir / "ask.lock"))
    deadline = time.time() + cfg.sweep.timeout if cfg.sweep.timeout else None
    try:
        ran = _trials(study, objective, cfg, params, index=index, device=device, lock=lock, deadline=deadline)
    except KeyboardInterrupt:
        _ignore_signals()  # a second signal (the driver's SIGTERM) must not cut the record short
        _settle_interrupted(study, cfg, index, lock)
        raise
    return ran


_current: list = []  # the trial this worker runs, for `_settle_interrupted`


def _trials(study, objective, cfg: DictConfig, params, *, index: int, device: str, lock, deadline) -> int:
    """`work`'s loop: ask, run and tell trials until the study is full; how many ran here."""
    from har.sweep.storage import Heartbeat, fail_stale_trials

    storage = study._storage
    ran, seeded = 0, False
    while deadline is None or time.time() < deadline:
        with lock:
            fail_stale_trials(study, cfg.sweep.heartbeat.grace, cfg.sweep.heartbeat.max_retry)
            if config_error_streak(study)[0] >= cfg.sweep.max_config_errors:
                break  # the driver says why
            taken, running, waiting = trial_slots(study)
            full = taken >= cfg.sweep.n_trials and not waiting  # queued trials (retries) always run
            if not (full or seeded):
                study.sampler, seeded = _process_sampler(cfg, study, index), True
            trial = None if full else study.ask()
            _current[:] = [trial] if trial is not None else []
        if trial is None:
            if not running:
                break
            time.sleep(min(IDLE_POLL_S, float(cfg.sweep.heartbeat.interval)))
            continue
        with Heartbeat(storage, trial._trial_id, cfg.sweep.heartbeat.interval):
            try:
                _run_and_tell(study, trial, objective, cfg, params, index=index, device=device, lock=lock)
            except (
                RuntimeError,
                ValueError,
            ):  # Optuna: UpdateFinishedTrialError; tell: "Cannot tell a FAIL trial"
                if not storage.get_trial(trial._trial_id).state.is_finished():
                    raise
                # Another worker failed this trial as stale (our heartbeats came later than
                # sweep.heartbeat.grace, e.g. while a killed worker held the journal's lock) and
                # queued its retry; this result is dropped and the study stays consistent.
                print(
                    f"[worker {index}] trial {trial.number} was failed by another worker (heartbeat "
                    f"later than {cfg.sweep.heartbeat.grace} s); its retry carries on",
                    flush=True,
                )
        _current.clear()
        ran += 1
    return ran


def _settle_interrupted(study, cfg: DictConfig, index: int, lock) -> None:
    """Record the trial this worker ran when it was interrupted, so the study stays true.

    A trial whose run finished (metrics.json written, not yet told) is COMPLETE with its
    values; any other is failed and queued again at once, with its parameters, instead of
    waiting out the heartbeat grace. An interrupt is not the trial's fault: it is queued
    again however often it was interrupted before.
    """
    from har.sweep.objective import finished_values
    from har.sweep.storage import fail_and_retry

    if not _current:
        return
    trial = _current.pop()
    frozen = study._storage.get_trial(trial._trial_id)
    if frozen.state.is_finished():
        return
    values = finished_values(study, frozen, list(cfg.sweep.objectives))
    if values is not None:
        study.tell(trial, values)
        print(
            f"[worker {index}] interrupted: trial {trial.number} had finished; recorded COMPLETE", flush=True
        )
        return
    with lock.acquire(
        timeout=30
    ):  # as for a device error: no worker counts the slot before the retry is queued
        fail_and_retry(
            study,
            frozen,
            "interrupted (Ctrl-C or SIGTERM) before its run finished",
            "interrupted",
            sys.maxsize,
        )
    print(f"[worker {index}] interrupted: trial {trial.number} failed and queued again", flush=True)


def _process_sampler(cfg: DictConfig, study, index: int):
    """`sweep.sampler` with this process's own seed (`sampler_seed`); called under the ask lock."""
    from har.config import instantiate

    sampler_cfg = cfg.sweep.sampler.copy()
    if "seed" in sampler_cfg:
        domain = f"{os.uname().nodename}:{Path(cfg.paths.output_dir).resolve()}" if cfg.sweep.storage else ""
        sampler_cfg.seed = sampler_seed(int(sampler_cfg.seed), study, domain)
        print(f"[worker {index}] sampler seed {sampler_cfg.seed}", flush=True)
    return instantiate(sampler_cfg, "sweep.sampler")


def _run_and_tell(study, trial, objective, cfg: DictConfig, params, *, index: int, device: str, lock) -> None:
    """Run one trial and record its outcome; any error of the objective fails only this trial.

    A device error fails the trial too, queues it once more (under the ask lock, so no other
    worker counts the freed slot before the retry is queued) and raises DeviceLost: this
    process's GPU is not trusted with another trial.
    """
    import optuna

    from har.config import ConfigError
    from har.data import DataError
    from har.sweep.objective import describe_error
    from har.sweep.storage import CONFIG_ERROR, fail_and_retry
    from har.training import is_device_error

    trial.set_user_attr("worker", f"{os.uname().nodename}:{os.getpid()}:{index}")
    trial.set_user_attr("device", device)
    try:
        values = objective(trial, cfg, params, Path(cfg.paths.output_dir))
    except optuna.TrialPruned:
        study.tell(trial, state=optuna.trial.TrialState.PRUNED)
    except optuna.exceptions.UpdateFinishedTrialError:
        raise  # the trial was taken from this worker (see work)
    except Exception as error:  # one bad trial never stops the sweep
        reason = describe_error(error)
        if is_device_error(error):
            reason = f"device error on {device}: {reason}"
            with lock:
                frozen = study._storage.get_trial(trial._trial_id)
                fail_and_retry(study, frozen, reason, "device error", cfg.sweep.heartbeat.max_retry)
            print(f"[worker {index}] trial {trial.number} failed: {reason}; worker exits", flush=True)
            raise DeviceLost(reason) from error
        trial.set_user_attr("error", reason)
        if isinstance(error, (ConfigError, DataError)):  # refused before training: takes no slot
            study._storage.set_trial_system_attr(trial._trial_id, CONFIG_ERROR, True)
        study.tell(trial, state=optuna.trial.TrialState.FAIL)
        print(f"[worker {index}] trial {trial.number} failed: {reason}", flush=True)
    else:
        study.tell(trial, values)


def main() -> None:
    har.configure_process()  # an entry point of its own: quiet TensorFlow, nothing under ~
    path, index = Path(sys.argv[1]), int(sys.argv[2])
    cfg = OmegaConf.load(path)
    device = pin_resources(cfg, index)  # before TensorFlow loads (the objective sizes its own pools)
    for number in (signal.SIGINT, signal.SIGTERM):  # Ctrl-C; the driver stops its workers with SIGTERM
        signal.signal(number, _interrupt)
    try:
        ran = work(cfg, index)
    except KeyboardInterrupt:
        print(f"[worker {index}] interrupted", flush=True)
        sys.exit(EXIT_INTERRUPTED)
    except DeviceLost:
        print(f"[worker {index}] {device} failed; exiting for a replacement", flush=True)
        sys.exit(EXIT_DEVICE_ERROR)
    print(f"[worker {index}] ran {ran} trial(s) on {device}", flush=True)


def _interrupt(number: int, frame) -> None:
    """The first SIGINT or SIGTERM: stop the trial; any later one is ignored while it is recorded."""
    _ignore_signals()
    raise KeyboardInterrupt


def _ignore_signals() -> None:
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, signal.SIG_IGN)


if __name__ == "__main__":
    main()
