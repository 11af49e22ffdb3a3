"""The worker processes of one machine, as the sweep driver runs them.

Each worker is `python -m har.sweep.worker <sweep.yaml> <index>`, logging to
`<sweep folder>/workers/worker-<index>.log`. A worker that exits with
`worker.EXIT_DEVICE_ERROR` (its trial hit a device error, was failed and queued again) is
replaced by a new process with the same index, hence the same device: a fresh process gets
a fresh CUDA context, where the old one would have gone on failing every trial.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

from har.sweep.placement import worker_device
from har.sweep.worker import EXIT_DEVICE_ERROR


class WorkerPool:
    """`workers` worker processes on `config` (a sweep.yaml), with logs under `logs`."""

    def __init__(self, config: Path, workers: int, gpus, logs: Path) -> None:
        self.config, self.workers, self.gpus, self.logs = config, workers, list(gpus or []), logs
        self.processes: dict[int, tuple[subprocess.Popen, IO]] = {}
        self.replaced = 0

    def start(self) -> None:
        self.logs.mkdir(parents=True, exist_ok=True)
        for index in range(self.workers):
            self._start(index)

    def _start(self, index: int) -> None:
        log = open(self.logs / f"worker-{index}.log", "a")  # noqa: SIM115 (closed in `close`)
        process = subprocess.Popen(
            [sys.executable, "-m", "har.sweep.worker", str(self.config), str(index)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        self.processes[index] = (process, log)

    def running(self) -> bool:
        """Whether any worker runs; first replaces those that exited after a device error."""
        for index, (process, log) in list(self.processes.items()):
            if process.poll() == EXIT_DEVICE_ERROR:
                log.close()
                self.replaced += 1
                print(
                    f"worker {index} on {worker_device(self.gpus, index)} exited after a device error; "
                    f"starting a replacement (see {self.logs / f'worker-{index}.log'})",
                    flush=True,
                )
                self._start(index)
        return any(process.poll() is None for process, _ in self.processes.values())

    def terminate(self) -> None:
        for process, _ in self.processes.values():
            process.terminate()

    def wait(self, timeout: float) -> None:
        """Wait up to `timeout` seconds in all for the workers to exit; kill those still running."""
        deadline = time.monotonic() + timeout
        for process, _ in self.processes.values():
            try:
                process.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def close(self) -> list[int]:
        """Close the logs; return the indices of workers that exited with an error."""
        for _, log in self.processes.values():
            log.close()
        return [
            index for index, (process, _) in self.processes.items() if process.returncode not in (0, None)
        ]
