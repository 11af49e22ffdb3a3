"""Write the hapt test subjects' sessions as a csv recording: one file per session + annotations.csv.

    python experiments/tracking/write_csv.py [--out outputs/tracking/hapt_csv]

The documented `csv` format (t, ax, ay, az, gx, gy, gz; annotations session,start_s,end_s,label),
so the tracker's file path (`stream=file`) is measured on the same sessions as the dataset path.
Both the activities and the transitions are annotated.
"""

from __future__ import annotations

import har

har.configure_process()  # an entry point: quiet TensorFlow, nothing written under ~

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from har.data.sources.hapt import UCI_HAR_TEST_SUBJECTS
from har.io import atomic_write, write_csv
from har.stream.sources import dataset_streams


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="outputs/tracking/hapt_csv")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    annotations = []
    streams = dataset_streams(
        data="hapt", subjects=UCI_HAR_TEST_SUBJECTS, overrides=["data.source.include_transitions=true"]
    )
    for stream in streams:
        subject, session = stream.name.split("subject ")[1].split(" session ")
        name = f"subject{int(subject):02d}_session{session}"
        frame = pd.DataFrame(stream.signals, columns=["ax", "ay", "az", "gx", "gy", "gz"])
        frame.insert(0, "t", np.round(stream.t, 4))
        atomic_write(out / f"{name}.csv", lambda p, f=frame: f.to_csv(p, index=False, float_format="%.9g"))
        annotations += [
            {"session": name, "start_s": round(start, 4), "end_s": round(end, 4), "label": label}
            for label, start, end in stream.truth
        ]
    write_csv(out / "annotations.csv", annotations)
    print(f"{len(streams)} sessions, {len(annotations)} annotations -> {out}")


if __name__ == "__main__":
    main()
