"""Score every row of rows.py once on its test streams; write results.csv.

    python experiments/tracking/evaluate.py [--root outputs]

Test streams: hapt's nine official test subjects (every session), five fresh strikes_sim
sessions (seeds 100-104, 2 min each; SIMULATED), and the csv recording write_csv.py made of
the hapt test sessions. Settings: the row's baseline plus what tune.py chose on the non-test
subjects (tuned.yaml); nothing here looks at a test score to choose anything.
"""

from __future__ import annotations

import har

har.configure_process()  # an entry point: quiet TensorFlow, nothing written under ~

import argparse

from rows import HERE, ROWS, streams, track_config, tuned_overrides

from har.export import read_bundle
from har.export import Predictor
from har.io import write_csv
from har.stream.benchmark import track_streams

COLUMNS = [
    "dataset",
    "events",
    "decoder",
    "event_f1",
    "onset_mae_ms",
    "segment_f1",
    "count_error",
    "decision_delay_p95_ms",
    "rtf",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default="outputs")
    args = parser.parse_args()
    results, cache = [], {}
    for row in ROWS:
        overrides = tuned_overrides(row)
        cfg = track_config(row, args.root, overrides)
        predictor = Predictor(read_bundle(cfg.bundle), cfg.variant)
        if row.dataset not in cache:  # one load per dataset
            cache[row.dataset] = streams(row, args.root, test=True)
        data = cache[row.dataset]
        pooled = track_streams(cfg, predictor, data)
        scores = pooled.row()
        settings = " ".join([*row.baseline, *overrides])
        results.append(
            {
                **{"dataset": row.dataset, "events": row.events, "decoder": row.decoder},
                **{c: scores[c] for c in COLUMNS[3:]},
                "decision_delay_p50_ms": scores["decision_delay_p50_ms"],
                "streams": len(data),
                "stream_h": round(pooled.stream_s / 3600, 2),
                "model_calls": pooled.windows,
                "settings": settings,
            }
        )
        print(", ".join(f"{k} {v}" for k, v in results[-1].items()), flush=True)
    write_csv(HERE / "results.csv", results)


if __name__ == "__main__":
    main()
