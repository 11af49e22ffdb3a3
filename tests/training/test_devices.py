"""har.training.devices: GPUs found without TensorFlow, device errors, precision, the mirrored strategy."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import tensorflow as tf

from har.config import ConfigError
from har.training.devices import Gpu, is_device_error, listed_gpus, precision_policy, visible_gpus


def test_nvidia_smi_lists_every_gpu_with_its_memory(fake_nvidia_smi):
    fake_nvidia_smi(count=4, memory_mib=81559)
    gpus = listed_gpus()
    assert [g.id for g in gpus] == ["0", "1", "2", "3"]
    assert gpus[2] == Gpu("2", "GPU-00000002-0000-0000-0000-000000000000", 81559)
    assert visible_gpus({}) == gpus  # nothing inherited: all of them


def test_an_inherited_cuda_visible_devices_wins(fake_nvidia_smi):
    fake_nvidia_smi(count=4)
    assert [g.id for g in visible_gpus({"CUDA_VISIBLE_DEVICES": "2,3"})] == ["2", "3"]
    by_uuid = visible_gpus({"CUDA_VISIBLE_DEVICES": "GPU-00000001-0000-0000-0000-000000000000"})
    assert by_uuid[0].id.startswith("GPU-00000001") and by_uuid[0].memory_mib == 81559
    assert visible_gpus({"CUDA_VISIBLE_DEVICES": ""}) == []
    assert visible_gpus({"CUDA_VISIBLE_DEVICES": "-1"}) == []
    assert [g.id for g in visible_gpus({"CUDA_VISIBLE_DEVICES": "1,x,2"})] == ["1"]  # as CUDA reads it


def test_no_nvidia_smi_or_no_driver_means_no_gpu(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no nvidia-smi at all
    assert listed_gpus() == []
    broken = tmp_path / "nvidia-smi"
    broken.write_text(
        '#!/bin/sh\necho "NVIDIA-SMI has failed because it couldn\'t communicate with the NVIDIA driver"\nexit 9\n'
    )
    broken.chmod(0o755)
    assert listed_gpus() == []


def test_device_errors_are_tensorflows_gpu_failures_only():
    gpu_oom = tf.errors.ResourceExhaustedError(
        None, None, "OOM when allocating tensor with shape[64,64,100] on /device:GPU:0 by allocator GPU_0_bfc"
    )
    assert is_device_error(gpu_oom)
    assert is_device_error(
        tf.errors.InternalError(None, None, "CUDA_ERROR_ILLEGAL_ADDRESS: an illegal memory access")
    )
    assert is_device_error(
        tf.errors.UnknownError(None, None, "Failed to get convolution algorithm: cuDNN failed to initialize")
    )
    assert not is_device_error(
        tf.errors.ResourceExhaustedError(
            None, None, "OOM when allocating tensor on /device:CPU:0 by allocator cpu"
        )
    )
    assert not is_device_error(tf.errors.InvalidArgumentError(None, None, "GPU kernel: bad shape"))
    assert not is_device_error(ValueError("no GPU needed"))
    try:  # raised from a device error, as Keras' callbacks may re-raise
        try:
            raise gpu_oom
        except tf.errors.ResourceExhaustedError as inner:
            raise RuntimeError("epoch failed") from inner
    except RuntimeError as outer:
        assert is_device_error(outer)


def test_precision_policy():
    assert precision_policy(True) == "mixed_float16" and precision_policy(False) == "float32"
    assert precision_policy("auto") == "float32"  # no GPU here (auto needs compute capability >= 7.0)
    with pytest.raises(ConfigError, match=r"trainer.mixed_precision='on': expected true, false or auto"):
        precision_policy("on")


def _python(code: str, tmp_path: Path) -> str:
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


@pytest.mark.slow  # starts worker processes
def test_mirrored_on_two_logical_cpus_has_two_replicas(tmp_path):
    out = _python(
        """
        import json
        from har.training.devices import placement, strategy
        print(json.dumps({"mirrored": placement(strategy("mirrored", 2)), "default": placement(strategy("default", 2))}))
        """,
        tmp_path,
    )
    recorded = json.loads(out.strip().splitlines()[-1])
    assert recorded == {
        "mirrored": {"device": "cpu", "replicas": 2},
        "default": {"device": "cpu", "replicas": 1},
    }


@pytest.mark.slow
def test_two_replicas_at_the_same_global_batch_train_like_one(tmp_path, session_cache):
    """trainer.batch_size is global: 2 replicas x 32 follow the 1-device run with batch 64."""
    runs = {}
    for name in ("default", "mirrored"):
        _python(
            f"""
            from har.config import compose
            from har.training.run import train
            train(compose("train", [
                "paths.root={tmp_path}", "paths.output_dir={tmp_path / name}", "paths.cache_dir={session_cache}",
                "logger=none", "trainer.strategy={name}", "trainer.logical_cpus=2", "trainer.epochs=3",
                "trainer.batch_size=64", "data.train_fraction=0.5", "model.build.width=16",
                "model.build.dense_units=32", "augment=none",
            ]))
            """,
            tmp_path,
        )
        runs[name] = json.loads((tmp_path / name / "metrics.json").read_text())
    for key in ("train/loss", "val/accuracy", "test/accuracy"):
        assert abs(runs["default"][key] - runs["mirrored"][key]) < 0.05, (key, runs)
    assert runs["default"]["epochs_trained"] == runs["mirrored"]["epochs_trained"] == 3
