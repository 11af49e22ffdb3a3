"""Objectives that fail on purpose, for the fault tests: `device_error`, `failed_elsewhere`,
`interrupted`.

    har-sweep sweep.objective._target_=har.sweep.faults.device_error +sweep.objective.trial_number=1

They also show, on any machine, what a device error does to a sweep
(tests/faults/test_device_errors.py), what happens to a trial that another worker failed
as stale while it still ran (tests/faults/test_trials.py), and what Ctrl-C does to the trial
a worker runs (tests/faults/test_interrupts.py).
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import optuna
from omegaconf import DictConfig

from har.sweep import space as search_space
from har.sweep.objective import dry_run, run_trial
from har.sweep.storage import fail_and_retry

# What TensorFlow says when a GPU's memory runs out (a real tf.errors.ResourceExhaustedError).
GPU_OOM = (
    "OOM when allocating tensor with shape[64,64,100] and type float on "
    "/job:localhost/replica:0/task:0/device:GPU:0 by allocator GPU_0_bfc"
)
_poisoned = False  # this process's "GPU" has failed: like a broken CUDA context, it stays so


def device_error(
    trial: optuna.Trial,
    cfg: DictConfig,
    params: list[search_space.Param],
    sweep_dir: Path,
    *,
    trial_number: int = 1,
    seconds: float = 0.0,
) -> list[float]:
    """A dry run, except that trial `trial_number` raises TensorFlow's GPU out-of-memory error.

    After it, every later trial of the same process raises it too, as a process whose CUDA
    context failed does: only a new process recovers. A retry of the trial (another number)
    in a new process succeeds.
    """
    global _poisoned
    values = dry_run(trial, cfg, params, sweep_dir, seconds=seconds)
    if trial.number == trial_number or _poisoned:
        _poisoned = True
        import tensorflow as tf

        raise tf.errors.ResourceExhaustedError(None, None, GPU_OOM)
    return values


def failed_elsewhere(
    trial: optuna.Trial,
    cfg: DictConfig,
    params: list[search_space.Param],
    sweep_dir: Path,
    *,
    trial_number: int = 1,
) -> list[float]:
    """A dry run, except that trial `trial_number` is failed and queued again while it runs, as
    another worker does to a trial whose heartbeats came late (a journal lock held by a killed
    worker blocks them): its own result then arrives for a trial that is already FAIL."""
    values = dry_run(trial, cfg, params, sweep_dir)
    if trial.number == trial_number:
        frozen = trial.study._storage.get_trial(trial._trial_id)
        reason = "worker stopped sending heartbeats (failed_elsewhere)"
        fail_and_retry(trial.study, frozen, reason, "heartbeat", int(cfg.sweep.heartbeat.max_retry))
    return values


def interrupted(
    trial: optuna.Trial,
    cfg: DictConfig,
    params: list[search_space.Param],
    sweep_dir: Path,
    *,
    trial_number: int = 0,
    after_run: bool = True,
) -> list[float]:
    """`run_trial` (`after_run`) or a dry run, except that trial `trial_number` sends SIGINT to the
    sweep's process group, as Ctrl-C in its terminal does: right after its run wrote
    metrics.json (`after_run`), or before it has any result; it never returns then."""
    values = (run_trial if after_run else dry_run)(trial, cfg, params, sweep_dir)
    if trial.number == trial_number:
        os.killpg(os.getpgrp(), signal.SIGINT)
        time.sleep(60)  # the signal arrives first
    return values
