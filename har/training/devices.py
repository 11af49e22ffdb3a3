"""Where training runs: the GPUs a process may use, device errors, and TensorFlow's devices.

The first part needs no TensorFlow (the sweep driver plans its workers with it, and dry-run
workers never load TensorFlow); TensorFlow is imported inside the functions that need it.

GPU identifiers are the ones a user sees: `nvidia-smi`'s indices (har sets
`CUDA_DEVICE_ORDER=PCI_BUS_ID` in `har/__init__.py`, so CUDA numbers GPUs the same way) or
the UUIDs (`GPU-...`, `MIG-...`) an inherited `CUDA_VISIBLE_DEVICES` may hold.
"""

from __future__ import annotations

import functools
import os
import re
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from har.config import ConfigError

if TYPE_CHECKING:
    import tensorflow as tf

NVIDIA_SMI_QUERY = ["nvidia-smi", "--query-gpu=index,uuid,memory.total", "--format=csv,noheader,nounits"]


@dataclass(frozen=True)
class Gpu:
    """One GPU: `id` as the user names it, its UUID and memory when `nvidia-smi` reports them."""

    id: str
    uuid: str | None = None
    memory_mib: int | None = None


def listed_gpus() -> list[Gpu]:
    """Every GPU `nvidia-smi` lists, by index; none without `nvidia-smi` or a working driver."""
    try:
        result = subprocess.run(NVIDIA_SMI_QUERY, capture_output=True, text=True, timeout=30)
    except (FileNotFoundError, PermissionError, subprocess.TimeoutExpired):
        return []
    if result.returncode != 0:  # e.g. "couldn't communicate with the NVIDIA driver": no usable GPU
        return []
    gpus = []
    for line in result.stdout.splitlines():
        fields = [field.strip() for field in line.split(",")]
        if len(fields) == 3 and fields[0].isdigit():
            memory = int(fields[2]) if fields[2].isdigit() else None  # "[N/A]" on some MIG setups
            gpus.append(Gpu(fields[0], fields[1], memory))
    return gpus


def _parse_visible(value: str) -> list[str]:
    """`CUDA_VISIBLE_DEVICES` as CUDA reads it: ids up to the first invalid one; `-1` or empty: none."""
    ids = []
    for item in (part.strip() for part in value.split(",")):
        if not (item.isdigit() or item.startswith(("GPU-", "MIG-"))):
            break
        ids.append(item)
    return ids


def visible_gpus(environ: Mapping[str, str] | None = None) -> list[Gpu]:
    """The GPUs this process may use, found without loading TensorFlow.

    An inherited `CUDA_VISIBLE_DEVICES` (a scheduler's or the user's) wins: only those GPUs,
    named as it names them (indices or UUIDs). Otherwise every GPU `nvidia-smi` lists.
    """
    environ = os.environ if environ is None else environ
    listed = listed_gpus()
    if "CUDA_VISIBLE_DEVICES" not in environ:
        return listed
    known = {name: gpu for gpu in listed for name in (gpu.id, gpu.uuid)}
    return [
        Gpu(name, known[name].uuid, known[name].memory_mib) if name in known else Gpu(name)
        for name in _parse_visible(environ["CUDA_VISIBLE_DEVICES"])
    ]


def cpu_cores() -> int:
    """The cores this process may run on (a scheduler's or `taskset`'s CPU set, not the machine's)."""
    return len(os.sched_getaffinity(0))


# Errors after which a process's GPU is not to be trusted again: TensorFlow's out-of-memory
# (ResourceExhaustedError) and internal or unknown errors (a CUDA launch or illegal address
# error, cuDNN or cuBLAS failing to initialise), when their message names the GPU stack.
DEVICE_ERROR_TYPES = ("ResourceExhaustedError", "InternalError", "UnknownError")
DEVICE_WORDS = re.compile(r"\bGPU|CUDA|cuDNN|cuBLAS|cuFFT|cuSOLVER|NCCL", re.IGNORECASE)


def is_device_error(error: BaseException) -> bool:
    """Whether `error` (or an error it was raised from) is a device error, as listed above."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        names = {cls.__name__ for cls in type(error).__mro__ if cls.__module__.startswith("tensorflow")}
        if names.intersection(DEVICE_ERROR_TYPES) and DEVICE_WORDS.search(str(error)):
            return True
        error = error.__cause__ or error.__context__
    return False


# --- TensorFlow: imported from here on only inside functions --------------------------------


def set_threads(threads: int) -> None:
    """Cap TensorFlow's thread pools (e.g. two runs side by side on two cores).

    Only possible before TensorFlow's runtime starts; later calls leave the pools as they are.
    """
    import tensorflow as tf

    if tf.config.threading.get_intra_op_parallelism_threads() == threads:
        return
    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(min(threads, 2))
    except RuntimeError:
        print(f"trainer.threads={threads}: TensorFlow already started; thread pools unchanged", flush=True)


@functools.cache
def configure_worker_tensorflow() -> None:
    """A sweep worker's thread pools and GPU memory limit, from its environment.

    `har.sweep.worker.pin_resources` sets the variables; this runs before the worker's first
    trial trains, because TensorFlow fixes both when its runtime starts. Outside a worker
    (no such variables) TensorFlow is left as it is.
    """
    if "TF_NUM_INTRAOP_THREADS" not in os.environ:
        return
    import tensorflow as tf

    try:
        tf.config.threading.set_intra_op_parallelism_threads(int(os.environ["TF_NUM_INTRAOP_THREADS"]))
        tf.config.threading.set_inter_op_parallelism_threads(int(os.environ["TF_NUM_INTEROP_THREADS"]))
        limit = os.environ.get("HAR_GPU_MEMORY_MIB")
        for gpu in tf.config.list_physical_devices("GPU") if limit else []:
            tf.config.set_logical_device_configuration(
                gpu, [tf.config.LogicalDeviceConfiguration(memory_limit=int(limit))]
            )
    except RuntimeError:  # TensorFlow already ran in this process: its pools are fixed
        return


def strategy(name: str, logical_cpus: int) -> tf.distribute.Strategy:
    """`mirrored` replicates over every visible GPU; with none, over `logical_cpus` CPU devices.

    `trainer.batch_size` stays the global batch: Keras splits each batch of the tf.data
    pipeline between the replicas (64 on 2 GPUs: 32 each), so a config means the same
    optimisation on 1 or N devices. Splitting the CPU must happen before TensorFlow
    initialises its devices, so this runs first in `train`; it is how the multi-device path
    is exercised on a machine without GPUs.
    """
    import tensorflow as tf

    if name != "mirrored":
        return tf.distribute.get_strategy()
    if not tf.config.list_physical_devices("GPU") and logical_cpus > 1:
        cpu = tf.config.list_physical_devices("CPU")[0]
        if len(tf.config.get_logical_device_configuration(cpu) or []) != logical_cpus:
            try:
                tf.config.set_logical_device_configuration(
                    cpu, [tf.config.LogicalDeviceConfiguration()] * logical_cpus
                )
            except RuntimeError as error:
                raise ConfigError(
                    f"trainer.logical_cpus={logical_cpus}: TensorFlow is already initialised ({error})"
                ) from None
    devices = tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("CPU")
    return tf.distribute.MirroredStrategy([d.name for d in devices])


def precision_policy(setting: Any) -> str:
    """The Keras dtype policy for `trainer.mixed_precision`: true, false or auto.

    `auto` is `mixed_float16` when TensorFlow sees GPUs and every one has compute capability
    7.0 or more (tensor cores: V100, T4, A100, H100, ...), else `float32` (on CPUs and older
    GPUs float16 compute is slower, not faster).
    """
    if isinstance(setting, bool):
        return "mixed_float16" if setting else "float32"
    if setting != "auto":
        raise ConfigError(f"trainer.mixed_precision={setting!r}: expected true, false or auto")
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    capabilities = [
        tf.config.experimental.get_device_details(g).get("compute_capability", (0, 0)) for g in gpus
    ]
    return "mixed_float16" if capabilities and min(capabilities) >= (7, 0) else "float32"


def run_device() -> str:
    """Where this process trains: `gpu:<ids>` as the user names them, or `cpu`.

    A sweep worker was given its device (`HAR_DEVICE`); otherwise the GPUs TensorFlow sees,
    named through `CUDA_VISIBLE_DEVICES` when it is set.
    """
    if os.environ.get("HAR_DEVICE"):
        return os.environ["HAR_DEVICE"]
    import tensorflow as tf

    count = len(tf.config.list_physical_devices("GPU"))
    if not count:
        return "cpu"
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    names = _parse_visible(visible) if visible is not None else [str(i) for i in range(count)]
    return "gpu:" + ",".join(names[:count])


def placement(distribution: tf.distribute.Strategy) -> dict[str, Any]:
    """What a run records of where it trained: `device` and the strategy's `replicas`."""
    return {"device": run_device(), "replicas": int(distribution.num_replicas_in_sync)}
