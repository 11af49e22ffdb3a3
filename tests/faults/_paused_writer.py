"""Run one of har's writers and freeze it mid-write, for a test to SIGKILL it there.

    python _paused_writer.py <writer> <destination> <marker> <where>

`writer`: bytes | cache | bundle. `where`: `fsync` pauses once the temporary file holds half
its content (the state a kill leaves while bytes are still going to disk); `replace` pauses
just before the rename that installs the new version. The marker file says "paused now".
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import numpy as np

writer, destination, marker, where = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4]
real_fsync, real_replace = os.fsync, os.replace


def pause() -> None:
    marker.write_text("paused")
    time.sleep(600)  # the test kills us here


def fsync_half(descriptor: int) -> None:
    os.truncate(f"/proc/self/fd/{descriptor}", os.fstat(descriptor).st_size // 2)  # also read-only fds
    pause()


def replace_paused(source, target) -> None:
    if Path(target) == destination:
        pause()
    real_replace(source, target)


if where == "fsync":
    os.fsync = fsync_half
else:
    os.replace = replace_paused

if writer == "bytes":
    from har.io import write_bytes

    write_bytes(destination, b"new " * 50_000)
elif writer == "cache":
    from har.data import cache

    cache.save(destination, {"X": np.ones((200, 100, 6), np.float32)})
else:
    from har.export.bundle import write_bundle

    write_bundle(destination, {"model_float16.tflite": b"\x01" * 200_000}, {"classes": ["new"]})
