"""Loading a 1 GB csv folder: windows per second and peak memory, cold and from the window cache;
and a folder of one file per sensor against one file per session, for the same samples.

    python experiments/benchmarks/csv_load.py [--gigabytes 1] [--folder /tmp/har-csv-1gb]
    python experiments/benchmarks/csv_load.py --multi-file [--gigabytes 0.25]

Writes (once; reused when it exists) a folder of 40 session files of 50 Hz samples, `t,ax..gz,label`
with 9 significant digits, 20 subjects, 4 classes in 30 s segments, until the folder holds
`--gigabytes`. Then, each in a fresh process so that its peak memory is its own: a cold
`load_windows` of `data=csv` (read, check, grid, window, write the cache), and a second one
that hits the cache. Prints rows, windows, seconds, windows/s, MB/s and the peak resident
memory, also as a multiple of the windowed array it returns.

With `--multi-file`: the same samples written twice, as one file per session (`t,ax..gz,label`
and a sessions.csv) and as a folder per session (`<label>/<subject>_<n>/`) holding
`accelerometer.csv` (`t,ax,ay,az`) and `gyroscope.csv` (`t,gx,gy,gz`, its own clock 7 ms
later), named by `data.source.sessions` and aligned by `data.source.sensors`; a cold load of
each, in a fresh process, and the ratio of their windows/s (target >= 2/3).
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
import pandas as pd

DEFAULT_FOLDER = Path(tempfile.gettempdir()) / "har-csv-1gb"
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


MULTI_FILE = [  # how the one-file-per-sensor folder is declared (the overrides a user would write)
    "data.source.sessions='{label}/{subject}_{stamp}'",
    "data.source.sensors={accelerometer:{file:accelerometer.csv,channels:[ax,ay,az]},"
    "gyroscope:{file:gyroscope.csv,channels:[gx,gy,gz]}}",
]


def write_pair(folder: Path, gigabytes: float) -> None:
    """The same samples as `single/` (a file per session) and `multi/` (a file per sensor)."""
    rng = np.random.default_rng(0)
    rows = int(gigabytes * 1e9 / 86 / SESSIONS)
    (folder / "single").mkdir(parents=True)
    sessions = []
    for number in range(SESSIONS):
        t = np.arange(rows) / RATE_HZ
        phase = rng.uniform(0, 2 * np.pi, 6)
        signals = np.sin(2 * np.pi * 0.8 * t[:, None] + phase) + 0.05 * rng.standard_normal((rows, 6))
        label, subject = CLASSES[number % len(CLASSES)], f"p{number % 20:02d}"
        frame = pd.DataFrame(signals, columns=["ax", "ay", "az", "gx", "gy", "gz"])
        frame.insert(0, "t", t)
        frame.assign(label=label).to_csv(
            folder / "single" / f"s{number:02d}.csv", index=False, float_format="%.9g"
        )
        sessions.append(f"s{number:02d},{subject}")
        session = folder / "multi" / label / f"{subject}_{number:02d}"
        session.mkdir(parents=True)
        frame[["t", "ax", "ay", "az"]].to_csv(session / "accelerometer.csv", index=False, float_format="%.9g")
        gyroscope = frame[["t", "gx", "gy", "gz"]].assign(t=t + 0.007)  # its own clock, 7 ms later
        gyroscope.to_csv(session / "gyroscope.csv", index=False, float_format="%.9g")
    (folder / "single" / "sessions.csv").write_text("session,subject\n" + "\n".join(sessions) + "\n")


def measure(folder: Path, cache: Path, overrides: list[str] = ()) -> dict:
    """One `load_windows` in this process: its numbers and this process's peak memory."""
    from har.config import compose
    from har.data import load_windows

    cfg = compose(
        "train",
        [
            "data=csv",
            f"data.source.path={folder}",
            f"data.cache_dir={cache}",
            "paths.output_dir=x",
            *overrides,
        ],
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
    parser.add_argument("--folder", type=Path, default=DEFAULT_FOLDER)
    parser.add_argument(
        "--multi-file", action="store_true", help="compare a file per sensor with a file per session"
    )
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)  # child: the cache folder
    parser.add_argument(
        "--declare", action="store_true", help=argparse.SUPPRESS
    )  # child: a multi-file folder
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.folder, args.measure, MULTI_FILE if args.declare else [])))
        return
    if args.multi_file:
        compare(
            args.folder if args.folder != DEFAULT_FOLDER else DEFAULT_FOLDER.with_name("har-csv-pair"), args
        )
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


def compare(folder: Path, args: argparse.Namespace) -> None:
    """Cold loads of the same samples as a file per session and as a file per sensor."""
    if not folder.is_dir():
        started = time.perf_counter()
        write_pair(folder, args.gigabytes)
        print(f"wrote {folder} in {time.perf_counter() - started:.0f} s")
    results = {}
    for kind, path, declare in (
        ("file per session", folder / "single", []),
        ("file per sensor", folder / "multi", ["--declare"]),
    ):
        size = sum(p.stat().st_size for p in path.rglob("*.csv"))
        with tempfile.TemporaryDirectory() as cache:
            child = [sys.executable, __file__, "--folder", str(path), "--measure", cache, *declare]
            result = json.loads(subprocess.run(child, check=True, capture_output=True, text=True).stdout)
        results[kind] = result
        print(
            f"{kind}: {size / 1e6:,.0f} MB of csv, {result['windows']:,} windows ({result['recordings']} recordings) "
            f"in {result['seconds']:.1f} s = {result['windows'] / result['seconds']:,.0f} windows/s; peak memory "
            f"{result['peak_mb']:,.0f} MB = {result['peak_mb'] / result['array_mb']:.1f}x the windows ({result['array_mb']:,.0f} MB)"
        )
    single, multi = results["file per session"], results["file per sensor"]
    ratio = (multi["windows"] / multi["seconds"]) / (single["windows"] / single["seconds"])
    print(f"file per sensor / file per session: {ratio:.2f} of the rate (target >= 0.67)")


if __name__ == "__main__":
    main()
