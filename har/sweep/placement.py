"""How many sweep workers run on this machine, and on which device each one trains.

    sweep.gpus: auto             # the GPUs this process may use; [] for the CPU only; or [0, 1]
    sweep.workers: auto          # workers_per_gpu on each GPU; without GPUs, one per CPU core
    sweep.workers_per_gpu: auto  # CPU cores per GPU, capped by GPU memory / memory per worker
    sweep.gpu_memory_mib: null   # per worker: null = memory growth, 2048 MiB assumed for packing;
                                 # a number = a hard limit for each worker, and packing by it

Worker i trains on GPU `gpus[i % len(gpus)]`, so N workers per GPU is N * len(gpus) workers
dealt round robin; an explicit `sweep.workers` is dealt the same way. The rule for
`workers_per_gpu: auto`: one small-IMU-model trial leaves a modern GPU nearly idle (one
process on an H200 ran 2.8 epochs/s; 16 processes on the same GPU each ran as fast as alone),
so GPUs are packed until the CPU runs out (each worker feeds its GPU from one core at least)
or the GPU memory does.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from omegaconf import DictConfig, ListConfig

from har.config import ConfigError
from har.training import Gpu, cpu_cores, visible_gpus

ASSUMED_WORKER_GPU_MIB = 2048  # a CUDA context plus TensorFlow's workspaces, with room to spare


@dataclass(frozen=True)
class Placement:
    """The workers of one machine: `gpus` (ids, empty for the CPU) and how many `workers`."""

    gpus: tuple[str, ...]
    workers: int
    rule: str  # how the numbers were chosen, printed when the sweep starts

    def device(self, index: int) -> str:
        """Worker `index`'s device: `gpu:<id>` or `cpu`."""
        return worker_device(self.gpus, index)


def worker_device(gpus, index: int) -> str:
    """The device of worker `index` among `gpus` (round robin), `cpu` when there are none."""
    gpus = list(gpus or [])
    return f"gpu:{gpus[index % len(gpus)]}" if gpus else "cpu"


def _positive_or_auto(value, key: str) -> int | None:
    if value == "auto":
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"sweep.{key}={value!r}: expected auto or a positive integer")
    return value


def _chosen_gpus(setting, environ: Mapping[str, str]) -> tuple[list[Gpu], str]:
    """The GPUs `sweep.gpus` selects, and where they were found (for the rule text)."""
    inherited = environ.get("CUDA_VISIBLE_DEVICES")
    available = visible_gpus(environ)
    source = f"CUDA_VISIBLE_DEVICES={inherited}" if inherited is not None else "nvidia-smi"
    if setting == "auto":
        return available, source
    if setting is None:
        return [], "sweep.gpus"
    if not isinstance(setting, list | tuple | ListConfig):
        raise ConfigError(
            f"sweep.gpus={setting!r}: expected auto, [] (CPU only) or a list of GPU ids such as [0, 1]"
        )
    names = [str(name) for name in setting]
    known = {gpu.id: gpu for gpu in available}
    for name in names:
        if names.count(name) > 1:
            raise ConfigError(f"sweep.gpus={names}: GPU {name} is listed twice (see sweep.workers_per_gpu)")
        if (known or inherited is not None) and name not in known:
            raise ConfigError(
                f"sweep.gpus={names}: GPU {name} is not one this process may use "
                f"({source} gives {', '.join(known) or 'none'})"
            )
    return [known.get(name, Gpu(name)) for name in names], "sweep.gpus"


def _per_gpu(gpus: list[Gpu], setting: int | None, memory_mib: int | None, cores: int) -> tuple[int, str]:
    """Workers per GPU: `setting`, or the packing rule of the module docstring."""
    if setting is not None:
        return setting, f"sweep.workers_per_gpu={setting}"
    by_cores = max(1, cores // len(gpus))
    budget = memory_mib or ASSUMED_WORKER_GPU_MIB
    memories = [gpu.memory_mib for gpu in gpus if gpu.memory_mib]
    if len(memories) < len(gpus):  # memory unknown (e.g. a UUID nvidia-smi did not list)
        return by_cores, f"auto: {cores} CPU cores / {len(gpus)} GPU(s); GPU memory unknown"
    by_memory = max(1, min(memories) // budget)
    return min(by_cores, by_memory), (
        f"auto: {cores} CPU cores / {len(gpus)} GPU(s) allow {by_cores}, "
        f"{min(memories)} MiB / {budget} MiB per worker allows {by_memory}"
    )


def plan_workers(
    sweep: DictConfig, *, environ: Mapping[str, str] | None = None, cores: int | None = None
) -> Placement:
    """Resolve `sweep.gpus`, `sweep.workers` and `sweep.workers_per_gpu` for this machine."""
    environ = os.environ if environ is None else environ
    cores = cores or cpu_cores()
    workers = _positive_or_auto(sweep.workers, "workers")
    per_gpu = _positive_or_auto(sweep.get("workers_per_gpu", "auto"), "workers_per_gpu")
    memory_mib = sweep.get("gpu_memory_mib")
    if memory_mib is not None and (
        isinstance(memory_mib, bool) or not isinstance(memory_mib, int) or memory_mib < 1
    ):
        raise ConfigError(f"sweep.gpu_memory_mib={memory_mib!r}: expected null or a positive number of MiB")
    gpus, source = _chosen_gpus(sweep.gpus, environ)
    ids = tuple(gpu.id for gpu in gpus)
    if not gpus:
        count = workers or cores
        why = f"sweep.workers={workers}" if workers else f"auto: one per CPU core ({cores})"
        return Placement((), count, f"{count} worker(s) on the CPU ({why}; no GPU from {source})")
    if workers:
        why = f"sweep.workers={workers}, dealt round robin"
    else:
        per, why = _per_gpu(gpus, per_gpu, memory_mib, cores)
        workers = per * len(gpus)
        why = f"{per} per GPU: {why}"
    return Placement(ids, workers, f"{workers} worker(s) on GPU(s) {', '.join(ids)} from {source} ({why})")
