"""Workers on GPUs: how many, on which GPU, from a fake `nvidia-smi` listing 4 GPUs.

No GPU is needed: the sweeps are dry runs (`sweep.objective=dry_run`, nothing trained), and
every trial records the device its worker was given (`device`); each worker's log says the
device it pinned (`CUDA_VISIBLE_DEVICES` set before anything could load CUDA).
"""

from __future__ import annotations

import os
import re

import pytest
import yaml
from omegaconf import OmegaConf

from har.config import ConfigError
from har.sweep.driver import run_sweep
from har.sweep.placement import ASSUMED_WORKER_GPU_MIB, plan_workers
from har.sweep.worker import pin_resources
from har.training.devices import cpu_cores

DRY = [
    "sweep.objective._target_=har.sweep.objective.dry_run",
    "+sweep.objective.seconds=0.3",
    "sweep.sampler._target_=har.sweep.factories.random",
    "~sweep.sampler.n_startup_trials",
    "sweep.workers=auto",
]


def _plan(*overrides: str, cores: int, environ=None):
    sweep = OmegaConf.create(
        {"gpus": "auto", "workers": "auto", "workers_per_gpu": "auto", "gpu_memory_mib": None}
    )
    for override in overrides:
        key, value = override.split("=", 1)
        sweep[key] = yaml.safe_load(value)
    return plan_workers(sweep, environ=environ if environ is not None else {}, cores=cores)


def _sweep(compose_sweep, *overrides: str, n_trials: int = 8):
    result = run_sweep(compose_sweep(*DRY, f"sweep.n_trials={n_trials}", *overrides))
    logs = {}
    for log in sorted((result.sweep_dir / "workers").glob("worker-*.log")):
        found = re.search(r"ran \d+ trial\(s\) on (\S+)", log.read_text())
        logs[int(log.stem.split("-")[1])] = found.group(1) if found else None
    devices = {t.user_attrs["device"] for t in result.study.get_trials()}
    return result, logs, devices


def test_the_packing_rule(fake_nvidia_smi):
    fake_nvidia_smi(count=4, memory_mib=81559)
    # auto: CPU cores per GPU, capped by GPU memory / the memory a worker is given or assumed
    assert _plan(cores=64).workers == 4 * 16
    assert _plan(cores=64, environ={"CUDA_VISIBLE_DEVICES": "2,3"}).workers == 2 * 32
    assert _plan("gpu_memory_mib=20000", cores=64).workers == 4 * 4  # 81559 // 20000
    assert _plan(cores=2).workers == 4  # fewer cores than GPUs: still one worker per GPU
    assert _plan(cores=1024).workers == 4 * (81559 // ASSUMED_WORKER_GPU_MIB)
    fake_nvidia_smi(count=2, memory_mib=16384)  # 16 GB cards: memory decides
    assert _plan(cores=64).workers == 2 * 8
    placement = _plan("workers_per_gpu=3", cores=64)
    assert placement.workers == 6 and [placement.device(i) for i in range(6)] == ["gpu:0", "gpu:1"] * 3
    assert _plan("workers=3", cores=64).workers == 3  # explicit: dealt round robin
    assert "32 CPU cores / 2 GPU(s) allow 16" in _plan(cores=32).rule


def test_cpu_only(fake_nvidia_smi, tmp_path, monkeypatch):
    fake_nvidia_smi(count=4)
    assert _plan("gpus=[]", cores=8).gpus == () and _plan("gpus=[]", cores=8).workers == 8
    assert _plan(cores=8, environ={"CUDA_VISIBLE_DEVICES": ""}).workers == 8
    monkeypatch.setenv("PATH", str(tmp_path))  # no nvidia-smi
    placement = _plan(cores=6)
    assert placement.gpus == () and placement.workers == 6 and placement.device(5) == "cpu"


def test_gpus_outside_the_inherited_set_are_refused(fake_nvidia_smi):
    fake_nvidia_smi(count=4)
    with pytest.raises(
        ConfigError,
        match=r"sweep.gpus=\['0'\]: GPU 0 is not one this process may use \(CUDA_VISIBLE_DEVICES=2,3 gives 2, 3\)",
    ):
        _plan("gpus=[0]", cores=4, environ={"CUDA_VISIBLE_DEVICES": "2,3"})
    assert _plan("gpus=[3]", cores=4, environ={"CUDA_VISIBLE_DEVICES": "2,3"}).gpus == ("3",)
    with pytest.raises(
        ConfigError,
        match=r"sweep.gpus=\['7'\]: GPU 7 is not one this process may use \(nvidia-smi gives 0, 1, 2, 3\)",
    ):
        _plan("gpus=[7]", cores=4)
    for bad, message in (
        ("workers=0", "sweep.workers=0: expected auto"),
        ("workers_per_gpu=-1", "sweep.workers_per_gpu=-1"),
    ):
        with pytest.raises(ConfigError, match=re.escape(message)):
            _plan(bad, cores=4)


def test_a_worker_pins_its_gpu_before_tensorflow_loads(monkeypatch):
    for variable in ("CUDA_VISIBLE_DEVICES", "HAR_DEVICE", "HAR_GPU_MEMORY_MIB", "TF_FORCE_GPU_ALLOW_GROWTH"):
        monkeypatch.setenv(variable, "before")  # restored after the test
    cfg = OmegaConf.create({"sweep": {"gpus": ["2", "3"], "workers": 4, "gpu_memory_mib": 4096}})
    assert pin_resources(cfg, 3) == "gpu:3"
    assert os.environ["CUDA_VISIBLE_DEVICES"] == "3" and os.environ["HAR_DEVICE"] == "gpu:3"
    assert os.environ["HAR_GPU_MEMORY_MIB"] == "4096" and os.environ["TF_FORCE_GPU_ALLOW_GROWTH"] == "true"
    assert os.environ["CUDA_DEVICE_ORDER"] == "PCI_BUS_ID"
    assert pin_resources(OmegaConf.create({"sweep": {"gpus": [], "workers": 2}}), 1) == "cpu"
    assert os.environ["CUDA_VISIBLE_DEVICES"] == ""


@pytest.mark.slow  # starts worker processes
def test_inherited_gpus_2_3_one_worker_each(compose_sweep, fake_nvidia_smi, monkeypatch):
    fake_nvidia_smi(count=4)
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "2,3")
    _, logs, devices = _sweep(compose_sweep, "sweep.workers_per_gpu=1")
    assert logs == {0: "gpu:2", 1: "gpu:3"}
    assert devices == {"gpu:2", "gpu:3"}


@pytest.mark.slow  # starts worker processes
def test_inherited_gpus_2_3_two_workers_each(compose_sweep, fake_nvidia_smi, monkeypatch):
    fake_nvidia_smi(count=4)
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "2,3")
    _, logs, devices = _sweep(compose_sweep, "sweep.workers_per_gpu=2", n_trials=12)
    assert logs == {0: "gpu:2", 1: "gpu:3", 2: "gpu:2", 3: "gpu:3"}
    assert devices == {"gpu:2", "gpu:3"}


@pytest.mark.slow  # starts worker processes
def test_inherited_gpus_2_3_auto_follows_the_rule(compose_sweep, fake_nvidia_smi, monkeypatch):
    fake_nvidia_smi(count=4, memory_mib=81559)
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "2,3")
    per_gpu = max(1, min(cpu_cores() // 2, 81559 // ASSUMED_WORKER_GPU_MIB))
    _, logs, devices = _sweep(compose_sweep)
    assert logs == {i: f"gpu:{2 + i % 2}" for i in range(2 * per_gpu)}
    assert devices == {"gpu:2", "gpu:3"}


@pytest.mark.slow  # starts worker processes
def test_without_gpus_the_cpu_as_before(compose_sweep, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no nvidia-smi
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    result, logs, devices = _sweep(compose_sweep, "sweep.workers=2", n_trials=4)
    assert logs == {0: "cpu", 1: "cpu"} and devices == {"cpu"}
    assert "2 worker(s) on the CPU" in (result.sweep_dir / "sweep.yaml").read_text()
