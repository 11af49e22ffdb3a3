"""Loading a 1 GB csv folder: windows per second and peak memory, cold and from the window cache.

    python experiments/benchmarks/csv_load.py [--gigabytes 1] [--folder /tmp/har-csv-1gb]

Writes (once; reused when it exists) a folder of 40 session files of 50 Hz samples, `t,ax..gz,label`
with 9 significant digits, 20 subjects, 4 classes in 30 s segments, until the folder holds
`--gigabytes`. Then, each in a fresh process so that its peak memory is its own: a cold
`load_windows` of `data=csv` (read, check, grid, window, write the cache), and a second one
that hits the cache. Prints rows, windows, seconds, windows/s, MB/s and the peak resident
memory, also as a multiple of the windowed array it returns.
"""

from __future__ import annotations

import har

har.configure_process()  # an entry point: quiet TensorFlow, nothing written under ~

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

SESSIONS = 40
RATE_HZ = 50
CLASSES = ["walk", "sit", "stand", "run"]


def write_folder(folder: Path, gigabytes: float) -> None:
    """Session files of equal size adding up to `gigabytes`."""
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    bytes_per_row = 86  # measured: 7 numbers of 9 significant digits and a label
    rows = int(gigabytes * 1e9 / bytes_per_row / SESSIONS)
    sessions = []
    for number in range(SESSIONS):
        t = np.arange(rows) / RATE_HZ
        phase = rng.uniform(0, 2 * np.pi, 6)
        signals = np.sin(2 * np.pi * 0.8 * t[:, None] + phase) + 0.05 * rng.standard_normal((rows, 6))
        labels = np.array(CLASSES)[(t // 30).astype(int) % len(CLASSES)]
        with open(folder / f"s{number:02d}.csv", "w") as stream:
            stream.write("t,ax,ay,az,gx,gy,gz,label\n")
            for start in range(0, rows, 200_000):
                block = np.column_stack([t[start : start + 200_000], signals[start : start + 200_000]])
                lines = [",".join(f"{v:.9g}" for v in row) for row in block.tolist()]
                stream.write("".join(f"{line},{label}\n" for line, label in zip(lines, labels[start:])))
        sessions.append(f"s{number:02d},p{number % 20:02d}")
    (folder / "sessions.csv").write_text("session,subject\n" + "\n".join(sessions) + "\n")


def measure(folder: Path, cache: Path) -> dict:
    """One `load_windows` in this process: its numbers and this process's peak memory."""
    from har.config import compose
    from har.data import load_windows

    cfg = compose(
        "train", ["data=csv", f"data.source.path={folder}", f"data.cache_dir={cache}", "paths.output_dir=x"]
    )
    started = time.perf_counter()
    data = load_windows(cfg.data)
    seconds = time.perf_counter() - started
    windows = len(data.train) + len(data.val) + len(data.test)
    array_bytes = sum(data.split(name).X.nbytes for name in ("train", "val", "test"))
    return {
        "seconds": seconds,
        "windows": windows,
        "cache_hit": data.cache_hit,
        "recordings": sum(data.recordings_per_split.values()),
        "array_mb": array_bytes / 1e6,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gigabytes", type=float, default=1.0)
    parser.add_argument("--folder", type=Path, default=Path(tempfile.gettempdir()) / "har-csv-1gb")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)  # child: the cache folder
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.folder, args.measure)))
        return
    if not args.folder.is_dir():
        started = time.perf_counter()
        write_folder(args.folder, args.gigabytes)
        print(f"wrote {args.folder} in {time.perf_counter() - started:.0f} s")
    size = sum(p.stat().st_size for p in args.folder.iterdir())
    rows = sum(p.read_bytes().count(b"\n") - 1 for p in args.folder.glob("s*.csv"))
    print(f"{args.folder}: {size / 1e9:.2f} GB, {SESSIONS} files, {rows:,} rows at {RATE_HZ} Hz")
    with tempfile.TemporaryDirectory() as cache:
        for kind in ("cold (read, check, window, write the cache)", "cache hit"):
            child = [sys.executable, __file__, "--folder", str(args.folder), "--measure", cache]
            result = json.loads(subprocess.run(child, check=True, capture_output=True, text=True).stdout)
            print(
                f"{kind}: {result['windows']:,} windows ({result['recordings']} recordings) in "
                f"{result['seconds']:.1f} s = {result['windows'] / result['seconds']:,.0f} windows/s, "
                f"{size / 1e6 / result['seconds']:.0f} MB/s; peak memory {result['peak_mb']:,.0f} MB = "
                f"{result['peak_mb'] / result['array_mb']:.1f}x the windows ({result['array_mb']:,.0f} MB)"
            )


if __name__ == "__main__":
    main()
