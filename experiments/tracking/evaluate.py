"""Event- and segment-level tracking results over many streams, with one bundle.

    python experiments/tracking/evaluate.py <bundle> strikes_sim --sessions 5
    python experiments/tracking/evaluate.py <bundle> hapt --subjects 2 4 9 10 12 13 18 20 24

`strikes_sim`: fresh simulated sessions (seeds 100+, never trained on): movement events.
`hapt`: every session of the given (test) subjects, replayed at 50 Hz: activity segments
(no idle class, so each run of one activity is a segment). Prints one line per stream and
the totals (events pooled over streams).
"""

from __future__ import annotations

import argparse
import json

import numpy as np

from har.export.bundle import read_bundle
from har.export.inference import Predictor
from har.stream.events import EventScore
from har.stream.smoothing import MovingAverage
from har.stream.sources import dataset_recording, simulator
from har.stream.tracker import Tracker


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bundle")
    parser.add_argument("source", choices=["strikes_sim", "hapt"])
    parser.add_argument("--sessions", type=int, default=5)
    parser.add_argument("--session-s", type=float, default=120)
    parser.add_argument("--subjects", nargs="*", default=["2", "4", "9", "10", "12", "13", "18", "20", "24"])
    parser.add_argument("--min-duration-s", type=float, default=0.0)
    parser.add_argument("--iou", type=float, default=0.5)
    args = parser.parse_args()
    predictor = Predictor(read_bundle(args.bundle), "float16")
    if args.source == "strikes_sim":
        streams = [
            simulator(session_s=args.session_s, seed=100 + i, subject=1 + i) for i in range(args.sessions)
        ]
    else:
        streams = []
        for subject in args.subjects:
            for session in range(2):
                try:
                    streams.append(dataset_recording(data="hapt", subject=subject, session=session))
                except ValueError:
                    break  # this subject has one session
    totals = {"tp": 0, "fp": 0, "fn": 0}
    window_true, window_predicted, rtf, latencies = [], [], [], []
    for stream in streams:
        tracker = Tracker(predictor, smoothing=MovingAverage(size=3), min_duration_s=args.min_duration_s)
        result = tracker.run(stream, chunk=25, iou=args.iou)
        score: EventScore = result.score
        totals["tp"] += score.true_positives
        totals["fp"] += score.false_positives
        totals["fn"] += score.false_negatives
        labelled = [s for s in result.steps if s.true_label is not None]
        window_true += [s.true_label for s in labelled]
        window_predicted += [s.label for s in labelled]
        rtf.append(result.summary()["real_time_factor"])
        latencies += result.latencies_ms
        print(
            f"{stream.name}: {len(stream.truth)} true, {len(result.events)} detected, P {score.precision:.3f} R {score.recall:.3f} "
            f"F1 {score.f1:.3f}, count error {json.dumps(score.count_error)}"
        )
    precision = totals["tp"] / max(1, totals["tp"] + totals["fp"])
    recall = totals["tp"] / max(1, totals["tp"] + totals["fn"])
    f1 = 2 * precision * recall / max(1e-12, precision + recall)
    from sklearn.metrics import f1_score

    classes = sorted(set(window_true))
    window_f1 = f1_score(window_true, window_predicted, labels=classes, average="macro", zero_division=0)
    kind = "events (SIMULATED data)" if args.source == "strikes_sim" else "segments"
    print(
        f"TOTAL {len(streams)} streams, {kind}, IoU >= {args.iou}: P {precision:.3f} R {recall:.3f} F1 {f1:.3f} "
        f"({totals['tp']} hits, {totals['fp']} false alarms, {totals['fn']} misses); window macro-F1 {window_f1:.3f}; "
        f"latency p50 {np.percentile(latencies, 50):.3f} ms p95 {np.percentile(latencies, 95):.3f} ms; "
        f"real-time factor median {np.median(rtf):,.0f}x"
    )


if __name__ == "__main__":
    main()
