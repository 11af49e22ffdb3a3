"""Tracker real-time factor and per-window latency on one core, 50 Hz stream, a bundle's model.

    python experiments/benchmarks/tracker_rtf.py <bundle> [--minutes 10] [--variant float16]

The stream is a simulated session of `--minutes` at 50 Hz pushed in chunks of 25 samples;
the process is pinned to one core and the interpreter to one thread. Target: >= 1000x.
"""

from __future__ import annotations

import argparse
import os

from har.export.bundle import read_bundle
from har.export.inference import Predictor
from har.stream.smoothing import MovingAverage
from har.stream.sources import Stream, simulator
from har.stream.tracker import Tracker


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bundle")
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--variant", default="float16")
    args = parser.parse_args()
    os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core
    bundle = read_bundle(args.bundle)
    predictor = Predictor(bundle, args.variant, num_threads=1)
    source = simulator(session_s=args.minutes * 60, rate_hz=predictor.rate_hz)
    # the model's own classes need not be the simulator's: only speed is measured here
    stream = Stream(source.name, source.t, source.signals, source.rate_hz, predictor.class_names)
    result = Tracker(predictor, smoothing=MovingAverage(size=3)).run(stream, chunk=25)
    summary = result.summary()
    print(
        f"bundle {args.bundle} ({args.variant}), window {predictor.window}, hop {predictor.hop} at {predictor.rate_hz:g} Hz"
    )
    print(
        f"stream {summary['stream_s']:.0f} s, {summary['windows']} windows, processed in {summary['processing_s']:.2f} s on one core"
    )
    print(
        f"per-window latency p50 {summary['latency_p50_ms']:.3f} ms, p95 {summary['latency_p95_ms']:.3f} ms"
    )
    print(f"real-time factor: {summary['real_time_factor']:,.0f}x  (target >= 1000x)")


if __name__ == "__main__":
    main()
