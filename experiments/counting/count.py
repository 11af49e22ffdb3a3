"""Count movements on held-out streams with each decoder; choose on validation; write results.csv.

    python experiments/counting/count.py [--root outputs] [--datasets watch strikes_sim]

Run after train.sh (same --root). Per dataset, every decoder is scored on the validation
subjects' streams, the one with the most streams counted within +-1 (then the least count MAE)
is marked `chosen`, and every decoder is then scored once on the test subjects' streams: the
rows of results.csv are test figures; validation only chooses.

Streams:
- watch (real; events `repetitions`): every recording is one exercise repeated 20 times, so
  a stream joins 1 to 3 whole recordings of one subject end to end (different exercises,
  seeded; truth 20, 40 or 60): a counter that knows the usual count cannot pass. Validation:
  subject 8; test: subjects 9 and 10. No onsets: count error and label accuracy only.
- strikes_sim (SIMULATED; events `strikes`): workout sessions (flurries, guard moves,
  glove-on; experiments/counting/README.md) of the test subjects 7 and 8, validation subject 6,
  with true onsets: event F1 and decision delays as well.

- hapt (real; events `transitions`): each session of the nine official test subjects as it
  is, its six kinds of postural transition as the events (true onsets from the labels);
  validation: subjects 5, 15 and 25; collar 1 s.

Decoders: `movements` (the bundle's fitted detector + the model), `constant` (answers the
training sessions' median count, whatever the stream).
"""

from __future__ import annotations

import har

har.configure_process()  # an entry point: quiet TensorFlow, nothing written under ~

import argparse
import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from har.config import compose, instantiate
from har.data.detector_fit import truth_count
from har.export import Predictor, read_bundle
from har.io import write_csv
from har.stream.cli import build_tracker
from har.stream.evaluation import evaluate
from har.stream.events import event_classes, segments_from_labels
from har.stream.sources import Stream

HERE = Path(__file__).parent
COLUMNS = [
    "dataset",
    "events",
    "decoder",
    "chosen",
    "sessions",
    "within1",
    "count_mae",
    "label_accuracy",
    "event_f1",
    "decision_delay_p50_ms",
    "decision_delay_p95_ms",
    "rtf",
]


@dataclass(frozen=True)
class Dataset:
    name: str
    events: str
    data_overrides: tuple[str, ...]
    val: tuple[str, ...]
    test: tuple[str, ...]
    bundle: str
    idle: tuple[str, ...]
    collar_s: float
    joined: bool  # streams join whole recordings (watch: no onsets, counts only)
    events_from_labels: tuple[str, ...] = ()  # classes whose labelled runs are the true events


DATASETS = {
    "watch": Dataset("watch", "repetitions", (), ("8",), ("9", "10"), "watch", (), 0.15, True),
    "strikes_sim": Dataset(
        "strikes_sim",
        "strikes",
        ("data.source.kind=workout", "data.source.sessions_per_subject=6"),  # more held-out sessions
        ("6",),
        ("7", "8"),
        "strikes",
        ("idle",),
        0.15,
        False,
    ),
    "hapt": Dataset(
        "hapt",
        "transitions",
        ("data.source.include_transitions=true",),
        ("5", "15", "25"),
        ("2", "4", "9", "10", "12", "13", "18", "20", "24"),
        "hapt",
        ("WALKING", "WALKING_UPSTAIRS", "WALKING_DOWNSTAIRS", "SITTING", "STANDING", "LAYING"),
        1.0,
        False,
        ("STAND_TO_SIT", "SIT_TO_STAND", "SIT_TO_LIE", "LIE_TO_SIT", "STAND_TO_LIE", "LIE_TO_STAND"),
    ),
}


def recordings_of(dataset: Dataset):
    cfg = compose("train", [f"data={dataset.name}", "paths.output_dir=unused", *dataset.data_overrides])
    return instantiate(cfg.data.source, "data.source").load()


def streams_of(dataset: Dataset, recordings, subjects: tuple[str, ...], seed: int) -> list[Stream]:
    """The streams of `subjects`: joined recordings (watch) or each session as it is."""
    rng = np.random.default_rng(seed)
    out = []
    for subject in subjects:
        mine = [r for r in recordings.recordings if r.subject == subject]
        if not dataset.joined:
            out += [
                _stream(r.name, [r], recordings, truth=True, events_from=dataset.events_from_labels)
                for r in mine
            ]
            continue
        order = rng.permutation(len(mine))
        position = 0
        while position < len(order):  # every recording used once, in streams of 1-3
            size = int(rng.integers(1, 4))
            chosen = [mine[i] for i in order[position : position + size]]
            position += size
            out.append(
                _stream(
                    f"subject {subject}: " + " + ".join(r.name.split()[-1] for r in chosen),
                    chosen,
                    recordings,
                    truth=False,
                )
            )
    return out


def _stream(name: str, parts, recordings, *, truth: bool, events_from: tuple[str, ...] = ()) -> Stream:
    rate = parts[0].rate_hz
    signals = np.concatenate([r.signals for r in parts])
    labels = np.concatenate([r.labels for r in parts])
    events = [(e.label, e.start_s, e.end_s) for e in parts[0].events] if truth else []
    if truth and events_from:
        idle = [c for c in recordings.class_names if c not in events_from]
        events = segments_from_labels(labels, recordings.class_names, rate, idle=idle)
    return Stream(
        name=name,
        t=np.arange(len(signals)) / rate,
        signals=signals,
        rate_hz=rate,
        class_names=recordings.class_names,
        labels=labels,
        truth=events,
        channels=recordings.channels,
        count=len(events) if events_from else sum(truth_count(r) for r in parts),
    )


def score_decoder(decoder: str, dataset: Dataset, streams: list[Stream], root: Path, constant: int) -> dict:
    """The row of one decoder on some streams (pooled over them)."""
    bundle = root / "counting" / f"{dataset.bundle}_export" / "bundle"
    cfg = compose(
        "track",
        [
            f"bundle={bundle}",
            "decoder=movements",
            f"events.idle={list(dataset.idle)}",
            f"events.collar_s={dataset.collar_s}",
        ],
    )
    predictor = Predictor(read_bundle(cfg.bundle), cfg.variant)
    classes = event_classes(predictor.class_names, cfg.events.idle)
    errors, accuracies, f1s, delays, processing, duration = [], [], [], [], 0.0, 0.0
    for stream in streams:
        if decoder == "constant":
            errors.append(constant - stream.count)
            continue
        tracker = build_tracker(cfg, predictor)
        started = time.perf_counter()
        result = tracker.run(stream.select(predictor.channels), chunk=cfg.chunk)
        processing += time.perf_counter() - started
        duration += stream.duration_s
        scores = evaluate(
            result.events, stream, classes=classes, collar_s=cfg.events.collar_s, min_iou=cfg.events.iou
        )
        errors.append(scores["count"]["error"])
        if scores.get("label_accuracy") is not None:
            accuracies += [scores["label_accuracy"]] * scores["count"]["found"]
        if "event_f1" in scores:
            f1s.append(scores["event"])
            delays += [d for d in _delays(result.events, stream, classes, cfg.events.collar_s)]
    errors = np.abs(np.array(errors))
    row = {
        "dataset": dataset.name,
        "events": dataset.events,
        "decoder": decoder,
        "sessions": len(streams),
        "within1": round(float(np.mean(errors <= 1)), 4),
        "count_mae": round(float(np.mean(errors)), 3),
        "label_accuracy": round(float(np.mean(accuracies)), 4) if accuracies else None,
        "event_f1": _pooled_f1(f1s),
        "decision_delay_p50_ms": round(float(np.percentile(delays, 50)), 1) if delays else None,
        "decision_delay_p95_ms": round(float(np.percentile(delays, 95)), 1) if delays else None,
        "rtf": round(duration / processing) if processing else None,
    }
    return row


def _delays(events, stream, classes, collar_s) -> list[float]:
    from har.stream.metrics import score

    return score(events, stream.truth, classes=classes, collar_s=collar_s).decision_delays_ms


def _pooled_f1(matchings: list[dict]) -> float | None:
    if not matchings:
        return None
    tp = sum(m["true_positives"] for m in matchings)
    fp = sum(m["false_positives"] for m in matchings)
    fn = sum(m["false_negatives"] for m in matchings)
    return round(2 * tp / (2 * tp + fp + fn), 4) if tp + fp + fn else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default="outputs")
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS))
    args = parser.parse_args()
    root = Path(args.root)
    rows = []
    for name in args.datasets:
        dataset = DATASETS[name]
        recordings = recordings_of(dataset)
        training = [r for r in recordings.recordings if r.subject not in {*dataset.val, *dataset.test}]
        sessions = [
            _stream(r.name, [r], recordings, truth=True, events_from=dataset.events_from_labels)
            for r in training
        ]
        constant = int(np.median([session.count for session in sessions]))  # the training sessions' median
        val = streams_of(dataset, recordings, dataset.val, seed=1)
        test = streams_of(dataset, recordings, dataset.test, seed=2)
        decoders = ["movements", "constant"]
        chosen_on_val = {d: score_decoder(d, dataset, val, root, constant) for d in decoders}
        chosen = max(decoders, key=lambda d: (chosen_on_val[d]["within1"], -chosen_on_val[d]["count_mae"]))
        for decoder in decoders:
            print(f"{name} validation {decoder}: {json.dumps(chosen_on_val[decoder])}", flush=True)
            row = {
                **score_decoder(decoder, dataset, test, root, constant),
                "chosen": str(decoder == chosen).lower(),
            }
            rows.append({c: row.get(c) for c in COLUMNS})
            print(f"{name} test {decoder}: {json.dumps(rows[-1])}", flush=True)
    write_csv(HERE / "results.csv", rows)


if __name__ == "__main__":
    main()
