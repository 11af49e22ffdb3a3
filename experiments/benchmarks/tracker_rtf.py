"""Tracker real-time factor and per-call latency on one core, 50 Hz stream, a bundle's model.

    python experiments/benchmarks/tracker_rtf.py <bundle> [--minutes 10] [--variant float16]
        [--decoders runs viterbi thresholds movements] [--chunk 25] [--kind single|workout]

The stream is a simulated session of `--minutes` at 50 Hz pushed in chunks of `--chunk`
samples; the process is pinned to one core and the interpreter to one thread. Each decoder
runs with its conf/decoder defaults (the `thresholds` detector's are strikes_sim's: on another
bundle only its speed means anything); `movements` runs the bundle's fitted detector and is
skipped, with a line, for a bundle that has none (trained on sliding windows). Target: >= 1000x.
"""

from __future__ import annotations

import har

har.configure_process()  # an entry point: quiet TensorFlow, nothing written under ~

import argparse
import os

from har.config import compose
from har.export import Predictor, read_bundle
from har.stream.cli import build_tracker
from har.stream.sources import Stream, simulator


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bundle")
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--variant", default="float16")
    parser.add_argument("--decoders", nargs="+", default=["runs", "viterbi", "thresholds", "movements"])
    parser.add_argument("--kind", default="single", help="simulated sessions: single strikes or workout")
    parser.add_argument("--chunk", type=int, default=25)
    args = parser.parse_args()
    os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core
    predictor = Predictor(read_bundle(args.bundle), args.variant, num_threads=1)
    source = simulator(session_s=args.minutes * 60, rate_hz=predictor.rate_hz, kind=args.kind)
    # the model's own classes need not be the simulator's: only speed is measured here
    stream = Stream(source.name, source.t, source.signals, source.rate_hz, predictor.class_names)
    print(
        f"bundle {args.bundle} ({args.variant}), window {predictor.window}, hop {predictor.hop} "
        f"at {predictor.rate_hz:g} Hz; {stream.duration_s:.0f} s stream in chunks of {args.chunk}, one core"
    )
    for decoder in args.decoders:
        if decoder == "movements" and predictor.manifest.get("detector") is None:
            print(f"{decoder:>10}: skipped, the bundle has no fitted detector (trained on sliding windows)")
            continue
        cfg = compose(
            "track",
            [
                f"bundle={args.bundle}",
                f"variant={args.variant}",
                f"decoder={decoder}",
                "paths.output_dir=unused",
            ],
        )
        summary = build_tracker(cfg, predictor).run(stream, chunk=args.chunk).summary()
        print(
            f"{decoder:>10}: {summary['windows']} model calls in {summary['processing_s']:.2f} s; "
            f"per-call latency p50 {summary['latency_p50_ms']:.3f} ms, p95 {summary['latency_p95_ms']:.3f} ms; "
            f"real-time factor {summary['real_time_factor']:,.0f}x (target >= 1000x)"
        )


if __name__ == "__main__":
    main()
