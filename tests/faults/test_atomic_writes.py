"""A writer SIGKILLed mid-write leaves the previous version or nothing, never a half file.

Each case freezes one of har's writers (`_paused_writer.py`) with half the new content on
disk, or just before its final rename, kills it with SIGKILL, and checks what a reader
finds: the previous version intact (same bytes, checksums verified) and any leftover
temporary file hidden and ignored; then the same write, run again, succeeds.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from har.data import cache
from har.export.bundle import BundleError, read_bundle, write_bundle
from har.io import write_bytes

pytestmark = pytest.mark.faults

HELPER = Path(__file__).with_name("_paused_writer.py")
OLD_BYTES = b"old " * 1000


def _write_old(writer: str, destination: Path) -> None:
    if writer == "bytes":
        write_bytes(destination, OLD_BYTES)
    elif writer == "cache":
        cache.save(destination, {"X": np.zeros((3, 100, 6), np.float32)})
    else:
        write_bundle(destination, {"model_float16.tflite": b"\x00" * 1000}, {"classes": ["old"]})


def _kill_mid_write(writer: str, destination: Path, where: str) -> None:
    marker = destination.parent / "paused"
    process = subprocess.Popen(
        [sys.executable, str(HELPER), writer, str(destination), str(marker), where],
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    deadline = time.time() + 60
    while not marker.exists() and process.poll() is None and time.time() < deadline:
        time.sleep(0.05)
    assert marker.exists(), f"the writer never reached {where} (exit code {process.poll()})"
    process.send_signal(signal.SIGKILL)
    process.wait()
    marker.unlink()


def _reads_as_old(writer: str, destination: Path) -> bool:
    if writer == "bytes":
        return destination.read_bytes() == OLD_BYTES
    if writer == "cache":
        arrays = cache.load(destination)
        return arrays is not None and not arrays["X"].any()
    return read_bundle(destination).class_names == ["old"]  # raises unless every sha256 matches


@pytest.mark.parametrize("where", ["fsync", "replace"])
@pytest.mark.parametrize("writer", ["bytes", "cache", "bundle"])
def test_a_writer_killed_mid_write_leaves_the_previous_version(tmp_path, writer, where):
    destination = tmp_path / {"bytes": "metrics.json", "cache": "windows.npz", "bundle": "bundle"}[writer]
    _write_old(writer, destination)
    _kill_mid_write(writer, destination, where)
    visible = sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith("."))
    assert visible == [destination.name] or (writer == "bundle" and where == "replace" and visible == [])
    if destination.exists():
        assert _reads_as_old(writer, destination)
    else:  # a bundle killed between its two renames: the old one waits aside, nothing is half
        with pytest.raises(BundleError, match="no manifest.json"):
            read_bundle(destination)
        assert read_bundle(tmp_path / f".{destination.name}.old").class_names == ["old"]
    _write_old(writer, destination)  # the same write, run again, succeeds
    assert _reads_as_old(writer, destination)
    if writer == "bundle":
        assert not (tmp_path / f".{destination.name}.old").exists()
