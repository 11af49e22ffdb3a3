"""Where training runs: TensorFlow's thread pools and the distribution strategy."""

from __future__ import annotations

import tensorflow as tf

from har.config import ConfigError


def set_threads(threads: int) -> None:
    """Cap TensorFlow's thread pools (e.g. two runs side by side on two cores).

    Only possible before TensorFlow's runtime starts; later calls leave the pools as they are.
    """
    if tf.config.threading.get_intra_op_parallelism_threads() == threads:
        return
    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(min(threads, 2))
    except RuntimeError:
        print(f"trainer.threads={threads}: TensorFlow already started; thread pools unchanged", flush=True)


def strategy(name: str, logical_cpus: int) -> tf.distribute.Strategy:
    """`mirrored` replicates over every visible GPU; with none, over `logical_cpus` CPU devices.

    Splitting the CPU must happen before TensorFlow initialises its devices, so this runs
    first in `train`; it is how the multi-device path is exercised on a machine without GPUs.
    """
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
