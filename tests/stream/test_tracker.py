"""The tracker end to end on a real exported model: decoders, chunking, interruptions, memory, stdin."""

from __future__ import annotations

import json
import subprocess
import sys
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from har.config import CONF_DIR, compose
from har.data.sources.strikes_sim import random_style, simulate_session
from har.export.bundle import read_bundle
from har.export.inference import Predictor
from har.stream.cli import build_tracker
from har.stream.metrics import score
from har.stream.sources import Stream, simulator
from har.stream.thresholds import learn_onset_offsets

pytestmark = pytest.mark.slow
DECODERS = sorted(p.stem for p in (CONF_DIR / "decoder").glob("*.yaml"))
SMOOTHINGS = sorted(p.stem for p in (CONF_DIR / "smoothing").glob("*.yaml"))
STRIKES = ["jab", "cross", "hook", "uppercut", "front_kick", "roundhouse"]


def _tracker(bundle, *overrides):
    cfg = compose("track", [f"bundle={bundle}", "paths.output_dir=unused", *overrides])
    return build_tracker(cfg, Predictor(read_bundle(bundle), "float32"))


def test_there_are_decoders_and_smoothings():
    assert {"runs", "viterbi", "movements", "thresholds"} <= set(DECODERS)
    assert {"none", "moving_average", "ema", "vote"} <= set(SMOOTHINGS)


@pytest.mark.parametrize("decoder", DECODERS)
@pytest.mark.parametrize("smoothing", SMOOTHINGS)
def test_every_decoder_with_every_smoothing(strikes_bundle, decoder, smoothing):
    stream = simulator(session_s=30, seed=105)
    result = _tracker(strikes_bundle, f"decoder={decoder}", f"smoothing={smoothing}").run(stream, chunk=5)
    assert result.events and result.latency.total > 0
    last = stream.t[-1]
    for event in result.events:
        assert event.label in STRIKES and 0 <= event.onset < event.end <= last + 1
        assert event.decided >= event.end - 1e-9 and 0 < event.confidence <= 1
    assert score(result.events, stream.truth, classes=STRIKES, collar_s=0.3).events.f1 > 0.3


def test_viterbi_decides_a_fixed_lag_later(strikes_bundle, tmp_path):
    stream = simulator(session_s=30, seed=106)
    hop_s = 0.2
    for lag in (0, 5):
        result = _tracker(strikes_bundle, "decoder=viterbi", f"decoder.lag={lag}").run(stream, chunk=1)
        before_the_end = [e for e in result.events if e.decided < stream.t[-1]]
        assert before_the_end
        # a segment ends when the window after it is decided: lag hops after that window ends
        assert min(e.decided - e.end for e in before_the_end) >= lag * hop_s - 1e-6


def test_switching_costs_are_learnt_from_the_train_subjects(strikes_bundle):
    decoder = _tracker(strikes_bundle, "decoder=viterbi").decoder
    transitions = np.exp(decoder.model.log_transitions)
    np.testing.assert_allclose(transitions.sum(axis=1), 1.0)
    assert decoder.model.class_names == ["idle", *STRIKES]
    assert transitions[0, 0] > 0.8  # idle lasts; a strike lasts 1-5 hops of 0.2 s
    # in the simulator one strike never follows another without idle between them
    assert (np.diag(transitions)[1:] + transitions[1:, 0] > 0.9).all()


def _recording_with_known_strikes(seed: int = 7) -> Stream:
    """Each strike twice, 1.5-2.5 s apart, from the simulator's templates."""
    rng = np.random.default_rng(seed)
    signals, labels, events = simulate_session(rng, duration_s=40, rate_hz=50, style=random_style(rng))
    return Stream(
        "known",
        np.arange(len(signals)) / 50,
        signals,
        50.0,
        ["idle", *STRIKES],
        labels,
        [(e.label, e.start_s, e.end_s) for e in events],
    )


def test_known_movements_give_exactly_those_events(strikes_bundle):
    # the detector's onset offsets, learnt on another recording (as tune.py does on train subjects)
    calibration = _recording_with_known_strikes(seed=8)
    found = _tracker(strikes_bundle, "decoder=thresholds").run(calibration, chunk=5).events
    offsets = learn_onset_offsets([found], [calibration.truth])
    flow = "{" + ",".join(f"{k}:{v}" for k, v in offsets.items()) + "}"
    stream = _recording_with_known_strikes(seed=7)
    assert len(stream.truth) >= 15
    tracker = _tracker(strikes_bundle, "decoder=thresholds", f"decoder.onset_offsets_s={flow}")
    events = tracker.run(stream, chunk=5).events
    assert len(events) == len(stream.truth)
    for event, (label, onset, _) in zip(events, stream.truth):
        assert event.label == label and abs(event.onset - onset) <= 0.15


def test_the_posture_rule_drops_movements_that_end_where_they_began(strikes_bundle):
    stream = simulator(session_s=30, seed=108)  # every strike returns to the guard
    kept = _tracker(strikes_bundle, "decoder=thresholds").run(stream, chunk=5).events
    dropped = _tracker(strikes_bundle, "decoder=thresholds", "decoder.min_posture_change_g=0.3").run(
        stream, chunk=5
    )
    assert len(kept) >= 10 and len(dropped.events) <= len(kept) // 4  # a few end still swaying


@pytest.mark.parametrize("decoder", DECODERS)
def test_no_event_spans_a_gap_or_a_dropout(strikes_bundle, decoder):
    stream = simulator(session_s=40, seed=104)
    stream.t = stream.t.copy()
    stream.t[800:] += 5.0  # the sensor stopped sending for 5 s after 16 s
    stream.signals = stream.signals.copy()
    stream.signals[1500:1530, 2] = np.nan  # a 0.6 s dropout at 35 s (stream time)
    result = _tracker(strikes_bundle, f"decoder={decoder}").run(stream, chunk=25)
    assert result.interruptions == 2 and result.dropped_samples == 30
    assert result.events
    for event in result.events:
        assert not (event.onset < 16.0 and event.end >= 21.0)  # nothing across the gap
        assert not (event.onset < 35.0 and event.end >= 35.6)  # nor across the dropout
    for step in result.steps:  # no window covers the gap or a NaN sample
        assert not (step.onset < 16.0 < step.onset + 1.0)
        assert not (step.onset < 35.6 and step.onset + 1.0 > 35.0)


@pytest.mark.parametrize("decoder", DECODERS)
def test_chunk_size_does_not_change_the_events(strikes_bundle, decoder):
    stream = simulator(session_s=30, seed=101)
    one = _tracker(strikes_bundle, f"decoder={decoder}").run(stream, chunk=1)
    many = _tracker(strikes_bundle, f"decoder={decoder}").run(stream, chunk=64)
    assert [(e.label, e.onset, e.end) for e in one.events] == [(e.label, e.onset, e.end) for e in many.events]


def test_runs_sees_the_offline_windows(strikes_bundle):
    stream = simulator(session_s=20, seed=102)
    predictor = Predictor(read_bundle(strikes_bundle), "float32")
    result = _tracker(strikes_bundle, "decoder=runs", "smoothing=none").run(stream, chunk=17)
    offline = [
        predictor.class_names[int(predictor.predict_window(stream.signals[s : s + 50]).argmax())]
        for s in range(0, len(stream.t) - 49, 10)
    ]
    assert [s.label for s in result.steps] == offline


class _HourOfBoxing:
    """A one-hour simulated stream generated a minute at a time (the input takes no memory)."""

    name, rate_hz, class_names, truth, labels = "an hour", 50.0, [], [], None

    def chunks(self, size):
        rng = np.random.default_rng(0)
        style = random_style(rng)
        for minute in range(60):
            signals, _, _ = simulate_session(rng, duration_s=60, rate_hz=50, style=style)
            t = minute * 60 + np.arange(len(signals)) / 50
            for begin in range(0, len(t), size):
                yield t[begin : begin + size], signals[begin : begin + size]


@pytest.mark.parametrize("decoder", ["thresholds", "viterbi"])
def test_memory_stays_flat_over_one_hour(strikes_bundle, decoder):
    tracker = _tracker(strikes_bundle, f"decoder={decoder}")
    marks = {}

    def measure(status: str) -> None:
        minute = float(status.split("t=")[1].split("s")[0]) / 60
        for mark in (10, 59):
            if mark not in marks and minute >= mark:
                marks[mark] = tracemalloc.get_traced_memory()[0]

    tracemalloc.start()
    try:
        result = tracker.run(_HourOfBoxing(), chunk=50, on_status=measure, keep_events=False)
    finally:
        tracemalloc.stop()
    assert result.duration_s == pytest.approx(3600, abs=0.1) and sum(result.counts.values()) > 1000
    assert marks[59] - marks[10] < 64 * 1024  # bytes: nothing grows with the stream


def _csv_session(path: Path) -> Path:
    stream = simulator(session_s=30, seed=107)
    frame = pd.DataFrame(stream.signals, columns=["ax", "ay", "az", "gx", "gy", "gz"])
    frame.insert(0, "t", 100.0 + stream.t)
    frame.to_csv(path, index=False, float_format="%.9g")
    return path


def _har_track(*arguments, stdin=None):
    script = Path(sys.executable).parent / "har-track"
    return subprocess.run([str(script), *arguments], input=stdin, capture_output=True, text=True, timeout=300)


def test_stdin_gives_the_same_events_as_the_file(strikes_bundle, tmp_path):
    session = _csv_session(tmp_path / "session.csv")
    common = [f"bundle={strikes_bundle}", "decoder=movements", "chunk=5"]  # the bundle's fitted detector
    from_file = _har_track(
        *common, "stream=file", f"stream.path={session}", f"paths.output_dir={tmp_path / 'f'}"
    )
    assert from_file.returncode == 0, from_file.stderr[-2000:]
    lines = session.read_text().splitlines()
    live = _har_track(
        *common, "stream=stdin", f"paths.output_dir={tmp_path / 's'}", stdin="\n".join(lines[1:]) + "\n"
    )
    assert live.returncode == 0, live.stderr[-2000:]
    events = (tmp_path / "f" / "events.jsonl").read_text()
    assert events and (tmp_path / "s" / "events.jsonl").read_text() == events
    assert live.stdout == from_file.stdout  # the JSON lines, as they came
    bad = _har_track(*common, "stream=stdin", f"paths.output_dir={tmp_path / 'b'}", stdin="0,1,2\n")
    assert bad.returncode == 2 and "stdin: line 1: 3 values, expected t and 6 channels" in bad.stderr


def test_har_track_writes_events_summary_and_plot(strikes_bundle, tmp_path):
    result = _har_track(f"bundle={strikes_bundle}", f"paths.root={tmp_path}", "stream.session_s=30")
    assert result.returncode == 0, result.stderr[-2000:]
    events = [json.loads(line) for line in result.stdout.splitlines()]
    assert events and set(events[0]) == {"label", "onset", "end", "confidence", "decided"}
    out = next(tmp_path.glob("track/*"))
    summary = json.loads((out / "summary.json").read_text())
    assert summary["events"] == len(events) and summary["real_time_factor"] > 1
    assert summary["decoder"]["_target_"] == "har.stream.movements.MovementDecoder"
    assert summary["detector"]["fitted"]["from"] == "events" and isinstance(summary["rejected"], dict)
    for key in ("event_f1", "segment_f1", "onset_mae_ms", "count_error", "decision_delay_p95_ms"):
        assert key in summary["score"]
    assert 0 <= summary["score"]["event_f1"] <= 1 and (out / "session.png").stat().st_size > 10_000
    viterbi = _har_track(
        f"bundle={strikes_bundle}",
        f"paths.output_dir={tmp_path / 'v'}",
        "decoder=viterbi",
        "stream.session_s=20",
        "print_events=false",
    )
    assert viterbi.returncode == 0 and (tmp_path / "v" / "switching.json").is_file()
    tampered = _har_track(f"bundle={tmp_path}", f"paths.root={tmp_path}")
    assert tampered.returncode == 2 and "no manifest.json" in tampered.stderr


def test_movement_windows_line_up_with_the_trackers_windows(strikes_bundle):
    from collections import Counter

    from omegaconf import OmegaConf

    from har.data.movement_windows import session_windows
    from har.data.movements import DetectorSettings
    from har.data.recording import Recording

    stream = simulator(session_s=40, seed=11)
    tracker = _tracker(strikes_bundle, "decoder=movements", "decoder.min_movement_probability=0")
    tracked = tracker.run(stream, chunk=7)
    predictor = tracker.predictor
    recording = Recording(stream.signals, stream.labels, stream.rate_hz, "1", "stream")
    _, starts = session_windows(
        recording,
        OmegaConf.create({}),
        predictor.window,
        predictor.hop,
        detector=DetectorSettings.from_dict(predictor.manifest["detector"]),
        channels=predictor.channels,
        units=predictor.manifest["units"],
        idle_label=None,
        rejected=Counter(),
    )
    assert len(starts) > 10
    assert [step.onset for step in tracked.steps] == pytest.approx(list(stream.t[np.sort(starts)]))
