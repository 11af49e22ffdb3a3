"""pyproject.toml: every install, CPU or GPU, brings exactly one TensorFlow."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"
TENSORFLOWS = {"tensorflow", "tensorflow-cpu", "tensorflow-gpu", "tensorflow-intel", "tf-nightly"}
MACHINES = {
    "linux x86_64": {"sys_platform": "linux", "platform_system": "Linux", "platform_machine": "x86_64"},
    "linux aarch64": {"sys_platform": "linux", "platform_system": "Linux", "platform_machine": "aarch64"},
    "macos arm64": {"sys_platform": "darwin", "platform_system": "Darwin", "platform_machine": "arm64"},
}


def _installed(extras: tuple[str, ...], machine: dict[str, str]) -> list[Requirement]:
    """The requirements pip installs for `har[extras]` on `machine` (markers evaluated)."""
    project = tomllib.loads(PYPROJECT.read_text())["project"]
    chosen = [Requirement(r) for r in project["dependencies"]]
    for extra in extras:
        chosen += [Requirement(r) for r in project["optional-dependencies"][extra]]
    return [r for r in chosen if r.marker is None or r.marker.evaluate({**machine, "extra": ""})]


@pytest.mark.parametrize("machine", sorted(MACHINES))
@pytest.mark.parametrize("extras", [(), ("hapt", "dev"), ("hapt", "dev", "gpu")])
def test_one_tensorflow(extras, machine):
    tensorflows = [r for r in _installed(extras, MACHINES[machine]) if r.name in TENSORFLOWS]
    assert {r.name for r in tensorflows} == {"tensorflow"}, tensorflows
    assert {str(r.specifier) for r in tensorflows} == {"<2.22,>=2.21"}  # one version range


def test_the_gpu_extra_adds_cuda_to_the_same_tensorflow():
    gpu = [r for r in _installed(("gpu",), MACHINES["linux x86_64"]) if r.name == "tensorflow" and r.extras]
    assert [sorted(r.extras) for r in gpu] == [["and-cuda"]]
