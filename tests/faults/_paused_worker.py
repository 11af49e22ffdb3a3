"""Run a sweep worker that freezes while writing its first checkpoint, for a test to SIGKILL.

    python _paused_worker.py <marker> <sweep.yaml> <worker index>

When the worker fsyncs the temporary file of `best.keras`, the file is cut to half its size
(the state a kill leaves while bytes are still going to disk), the marker is written, and
the process sleeps until killed.
"""

from __future__ import annotations

import os
import runpy
import sys
import time
from pathlib import Path

marker = Path(sys.argv[1])
real_fsync = os.fsync


def fsync_or_pause(descriptor: int) -> None:
    if ".best.keras." in os.readlink(f"/proc/self/fd/{descriptor}"):
        os.truncate(f"/proc/self/fd/{descriptor}", os.fstat(descriptor).st_size // 2)
        marker.write_text("paused")
        time.sleep(600)
    real_fsync(descriptor)


os.fsync = fsync_or_pause
sys.argv = ["har.sweep.worker", *sys.argv[2:]]
runpy.run_module("har.sweep.worker", run_name="__main__")
