"""How long a user waits for `--help` and for a refused mistake (target: under 3 s each).

    python experiments/benchmarks/cli_latency.py [--repeats 5]

Runs the installed console scripts as subprocesses, as a user does, in a scratch folder, and
prints the median and the slowest wall time of each command, with what `import tensorflow`
alone costs on the same machine for comparison (these answers must not wait for it). Checks
that every refusal exits 2 and leaves the scratch folder empty.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SCRIPTS = Path(sys.executable).parent
TARGET_S = 3.0
CASES = [
    ("har-train --help", ["har-train", "--help"], 0),
    ("har-train trainer.epoch=3", ["har-train", "trainer.epoch=3"], 2),
    ("har-train +trainer.epoch=3", ["har-train", "+trainer.epoch=3"], 2),
    ("har-sweep --help", ["har-sweep", "--help"], 0),
    (
        "har-sweep 'sweep.train_overrides=[\"trainer.epoch=3\"]'",
        ["har-sweep", 'sweep.train_overrides=["trainer.epoch=3"]'],
        2,
    ),
    ("python -c 'import tensorflow' (reference)", [sys.executable, "-c", "import tensorflow"], 0),
]


def _time(argv: list[str], expected: int, folder: Path) -> float:
    program = argv[0] if argv[0] == sys.executable else str(SCRIPTS / argv[0])
    started = time.perf_counter()
    result = subprocess.run([program, *argv[1:]], cwd=folder, capture_output=True, text=True, timeout=300)
    seconds = time.perf_counter() - started
    if result.returncode != expected:
        raise SystemExit(f"{' '.join(argv)}: exit {result.returncode}, expected {expected}\n{result.stderr}")
    if any(folder.iterdir()):
        raise SystemExit(f"{' '.join(argv)}: wrote {sorted(p.name for p in folder.iterdir())}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    print(f"{'command':<60} {'median s':>9} {'max s':>7}  under {TARGET_S:g} s")
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        for label, argv, expected in CASES:
            times = [_time(argv, expected, folder) for _ in range(args.repeats)]
            median, slowest = statistics.median(times), max(times)
            verdict = "-" if "reference" in label else ("yes" if slowest < TARGET_S else "NO")
            print(f"{label:<60} {median:>9.2f} {slowest:>7.2f}  {verdict}", flush=True)


if __name__ == "__main__":
    main()
