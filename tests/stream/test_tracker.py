"""The tracker end to end on a real exported model: chunking, interruptions, outputs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from har.export.bundle import read_bundle
from har.export.inference import Predictor
from har.stream.smoothing import MovingAverage
from har.stream.sources import simulator
from har.stream.tracker import Tracker

pytestmark = pytest.mark.slow


def _run(bundle, stream, chunk):
    tracker = Tracker(Predictor(read_bundle(bundle), "float32"), smoothing=MovingAverage(size=3))
    return tracker.run(stream, chunk=chunk)


def test_chunk_size_does_not_change_the_output(strikes_bundle):
    stream = simulator(session_s=40, seed=101)
    one, many = _run(strikes_bundle, stream, 1), _run(strikes_bundle, stream, 64)
    assert one.events == many.events
    assert [(s.t_start, s.label) for s in one.steps] == [(s.t_start, s.label) for s in many.steps]
    assert len(one.steps) == (len(stream.t) - 50) // 10 + 1  # every hop of the offline windowing


def test_the_tracker_sees_the_offline_windows(strikes_bundle):
    stream = simulator(session_s=20, seed=102)
    predictor = Predictor(read_bundle(strikes_bundle), "float32")
    result = Tracker(predictor, smoothing=MovingAverage(size=1)).run(stream, chunk=17)
    offline = [
        predictor.class_names[int(predictor.predict_window(stream.signals[s : s + 50]).argmax())]
        for s in range(0, len(stream.t) - 49, 10)
    ]
    assert [s.label for s in result.steps] == offline


def test_a_nan_burst_interrupts_instead_of_predicting_through_it(strikes_bundle):
    stream = simulator(session_s=30, seed=103)
    stream.signals = stream.signals.copy()
    stream.signals[500:530, 2] = np.nan  # 0.6 s sensor dropout
    result = _run(strikes_bundle, stream, 25)
    assert result.interruptions == 1 and result.dropped_samples == 30
    for step in result.steps:  # no window covers a NaN sample
        first = int(round(step.t_start * 50))
        assert first + 50 <= 500 or first >= 530
    clean = _run(strikes_bundle, simulator(session_s=30, seed=103), 25)
    assert len(result.steps) < len(clean.steps)


def test_a_gap_in_timestamps_interrupts(strikes_bundle):
    stream = simulator(session_s=30, seed=104)
    stream.t = stream.t.copy()
    stream.t[800:] += 5.0  # the sensor stopped sending for 5 s
    result = _run(strikes_bundle, stream, 25)
    assert result.interruptions == 1 and result.dropped_samples == 0
    for step in result.steps:
        assert not (step.t_start < 16.0 < step.t_start + 1.0)  # no window spans the gap
    for event in result.events:
        assert not (event.t_start < 16.0 and event.t_end > 21.0)


def test_har_track_writes_events_summary_and_plot(strikes_bundle, tmp_path):
    script = Path(sys.executable).parent / "har-track"
    result = subprocess.run(
        [str(script), f"bundle={strikes_bundle}", f"paths.root={tmp_path}", "stream.session_s=30"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    events = [json.loads(line) for line in result.stdout.splitlines()]
    assert events and set(events[0]) == {"label", "t_start", "t_end", "confidence"}
    out = next(tmp_path.glob("track/*"))
    summary = json.loads((out / "summary.json").read_text())
    assert summary["events"] == len(events) and summary["real_time_factor"] > 1
    assert 0 <= summary["event_score"]["f1"] <= 1 and (out / "session.png").stat().st_size > 10_000
    tampered = subprocess.run(
        [str(script), f"bundle={tmp_path}", f"paths.root={tmp_path}"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert tampered.returncode == 2 and "no manifest.json" in tampered.stderr
