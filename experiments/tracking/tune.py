"""Choose thresholds, switching weights and dwell rules on the non-test subjects only.

    python experiments/tracking/tune.py [--root outputs] [--only hapt/transitions/thresholds]

Grid search per tuned row of rows.py on its train/validation streams (hapt: the 21 subjects
outside the official test set; strikes_sim: train subjects 1-5 and validation subject 6).
The objective is the row's headline metric (segment F1 for activities, event F1 otherwise);
among settings within 0.01 of the best, the one with the shortest decision delay p95 wins.
Writes tuned.yaml (read by evaluate.py) and tuning.csv (every setting tried, with its scores).
"""

from __future__ import annotations

import har

har.configure_process()  # an entry point: quiet TensorFlow, nothing written under ~

import argparse
import csv
import itertools
from dataclasses import replace

import yaml
from rows import HERE, ROWS, TUNED, Row, streams, track_config

from har.export import read_bundle
from har.export import Predictor
from har.io import write_csv, write_text
from har.stream.benchmark import PooledResult, track_streams
from har.stream.events import event_classes
from har.stream.metrics import pool, score
from har.stream.thresholds import learn_onset_offsets

# Second pass (the first, tuning_pass1.log, had switch weights 0.5-8 and no posture rule;
# the best hapt weights sat at its edge, 8, and the detector's best thresholds are kept).
# The grids are small to fit the time the shared machine allowed (the first pass stopped
# before the strikes detector, which is tuned here for the first time).
VITERBI = {
    "decoder.switch_weight": [0.5, 1, 2, 4, 8],
    "decoder.prior_weight": [0, 1],
    "smoothing": ["none", "moving_average"],
}
HAPT_VITERBI = {
    "decoder.switch_weight": [8, 16, 32, 64],
    "decoder.prior_weight": [0],
    "smoothing": ["moving_average"],
}
GRIDS = {
    "hapt/transitions/viterbi": HAPT_VITERBI,
    "hapt/activities/viterbi": HAPT_VITERBI,
    "strikes/strikes/viterbi": VITERBI,
    "hapt/transitions/thresholds": {
        "decoder.on_threshold": [0.3],
        "decoder.off_threshold": [0.15],
        "decoder.hangover_s": [0.6],
        "decoder.min_movement_probability": [0.7, 0.85],
        "decoder.min_posture_change_g": [0.0, 0.15],
        "decoder.min_duration_s": [1.0],
        "decoder.max_duration_s": [12.0],
        "decoder.smooth_s": [0.1],
        "decoder.lookback_s": [2.0],
    },
    "strikes/strikes/thresholds": {
        "decoder.on_threshold": [1.0, 2.0],
        "decoder.off_threshold": [0.15, 0.3],
        "decoder.hangover_s": [0.06, 0.1],
        "decoder.max_wait_s": [0.1, 0.2],
        "decoder.min_movement_probability": [0.2, 0.35],
    },
}


def settings(grid: dict[str, list]) -> list[list[str]]:
    """Every combination as Hydra overrides (off thresholds above the on threshold skipped)."""
    out = []
    for values in itertools.product(*grid.values()):
        chosen = dict(zip(grid, values))
        if chosen.get("decoder.off_threshold", 0) > chosen.get("decoder.on_threshold", 1e9):
            continue
        out.append([f"{k}={v}" for k, v in chosen.items()])
    return out


def tune(row: Row, root: str) -> tuple[list[str], list[dict]]:
    """The chosen overrides of one row, and every setting's scores."""
    headline = "segment_f1" if row.events == "activities" else "event_f1"
    data = streams(row, root, test=False)
    tried = []
    predictor = None
    for overrides in settings(GRIDS[row.key]):
        # chunks of 25 for speed: the events do not depend on the chunk size, only `decided`
        # does (at most a chunk later), for every setting alike (tests/stream/test_tracker.py)
        cfg = track_config(row, root, [*overrides, "chunk=25"])
        predictor = predictor or Predictor(read_bundle(cfg.bundle), cfg.variant)
        pooled = track_streams(cfg, predictor, data)
        if row.decoder == "thresholds":  # the annotation convention: learnt here, on these streams
            offsets = learn_onset_offsets(pooled.events, pooled.truths)
            overrides = [*overrides, f"decoder.onset_offsets_s={_flow(offsets)}"]
            pooled = _rescored(pooled, offsets, cfg, predictor)
        scores = pooled.row()
        tried.append({"row": row.key, "overrides": " ".join(overrides), **scores})
        print(
            f"{row.key} {' '.join(overrides)}: {headline} {scores[headline]:.4f} "
            f"delay p95 {scores['decision_delay_p95_ms']}",
            flush=True,
        )
    best = max(r[headline] for r in tried)
    near = [r for r in tried if r[headline] >= best - 0.01]
    chosen = min(near, key=lambda r: (r["decision_delay_p95_ms"] or float("inf"), -r[headline]))
    print(f"{row.key}: chose {chosen['overrides']} ({headline} {chosen[headline]:.4f} on non-test subjects)")
    return chosen["overrides"].split(), tried


def _flow(offsets: dict[str, float]) -> str:
    """A dict as one Hydra override value without spaces: {A:0.1,B:-1.2}."""
    return "{" + ",".join(f"{k}:{v}" for k, v in offsets.items()) + "}"


def _rescored(pooled: PooledResult, offsets: dict[str, float], cfg, predictor: Predictor) -> PooledResult:
    """The same events with their onsets shifted as the decoder would (no second replay)."""
    sample = 1 / predictor.rate_hz
    events = [
        [replace(e, onset=min(e.onset - offsets.get(e.label, 0.0), e.end - sample)) for e in stream]
        for stream in pooled.events
    ]
    classes = event_classes(predictor.class_names, cfg.events.idle)
    scores = pool(
        score(p, t, classes=classes, collar_s=cfg.events.collar_s, min_iou=cfg.events.iou)
        for p, t in zip(events, pooled.truths)
    )
    return replace(pooled, score=scores, events=events)


def _read_log() -> list[dict]:
    path = HERE / "tuning.csv"
    return list(csv.DictReader(path.open())) if path.is_file() else []


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default="outputs")
    parser.add_argument("--only", nargs="*", help="row keys to tune (default: every tuned row)")
    args = parser.parse_args()
    tuned = (yaml.safe_load(TUNED.read_text()) or {}) if TUNED.is_file() else {}
    for row in ROWS:
        if row.dataset == "csv" or row.key not in GRIDS or (args.only and row.key not in args.only):
            continue
        tuned[row.key], tried = tune(row, args.root)
        header = "# Written by experiments/tracking/tune.py on the non-test subjects; read by evaluate.py.\n"
        write_text(TUNED, header + yaml.safe_dump(tuned, sort_keys=True))
        # every setting tried, this row's replacing any earlier ones
        log = [r for r in _read_log() if r["row"] != row.key] + tried
        write_csv(HERE / "tuning.csv", log)


if __name__ == "__main__":
    main()
