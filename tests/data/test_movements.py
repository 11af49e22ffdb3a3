"""The movement detector shared by movement windows and the tracker (`har.data.movements`)."""

from __future__ import annotations

import numpy as np
import pytest

from har.data.detector_fit import fit_detector
from har.data.movements import (
    REJECTED_TOO_CLOSE,
    DetectorSettings,
    MovementFinder,
    find_movements,
)
from har.data.recording import DataError, Recording
from har.data.sources.strikes_sim import StrikesSimSource
from har.data.sources.watch import WatchSource

CHANNELS = ["ax", "ay", "az", "gx", "gy", "gz"]
UNITS = {**dict.fromkeys(CHANNELS[:3], "g"), **dict.fromkeys(CHANNELS[3:], "rad/s")}
RATE = 50.0


def _session(onsets_s: list[float], *, length_s: float = 0.3, duration_s: float = 12.0, seed: int = 0):
    """Still wrist (1 g on z) with one forward punch pulse (6 g) starting at each onset."""
    rng = np.random.default_rng(seed)
    n = int(duration_s * RATE)
    t = np.arange(n) / RATE
    x = np.zeros((n, 6))
    x[:, 2] = 1.0
    for onset in onsets_s:
        centre = onset + length_s / 2
        x[:, 0] += 6.0 * np.exp(-0.5 * ((t - centre) / (length_s / 5)) ** 2)
    x += rng.normal(scale=0.02, size=x.shape)
    return x.astype(np.float32)


def test_a_flurry_of_ten_is_counted_exactly():
    onsets = [2.0 + 0.5 * i for i in range(10)]  # one 5 s flurry, 0.5 s apart
    settings = DetectorSettings(signal="envelope", smooth_s=0.03, prominence=1.0, floor=1.0, min_gap_s=0.3)
    found, rejected = find_movements(_session(onsets), settings, CHANNELS, UNITS, RATE, window=50)
    assert len(found) == 10, (found, rejected)
    peaks_s = np.array([f.peak for f in found]) / RATE
    assert np.all(np.abs(peaks_s - (np.array(onsets) + 0.15)) < 0.06)


def test_a_movement_longer_than_any_default_is_split_at_its_peaks_not_dropped():
    onsets = [1.0 + 0.4 * i for i in range(20)]  # an 8 s burst of strikes 0.4 s apart
    settings = DetectorSettings(signal="envelope", smooth_s=0.03, prominence=1.0, floor=1.0, min_gap_s=0.3)
    found, _ = find_movements(_session(onsets, length_s=0.25), settings, CHANNELS, UNITS, RATE, window=50)
    assert len(found) == 20


def test_rejections_are_counted_with_their_reason():
    settings = DetectorSettings(signal="envelope", smooth_s=0.03, prominence=1.0, floor=1.0, min_gap_s=1.2)
    found, rejected = find_movements(
        _session([2.0, 2.5, 3.0, 6.0]), settings, CHANNELS, UNITS, RATE, window=50
    )
    assert len(found) == 2 and rejected[REJECTED_TOO_CLOSE] == 2


@pytest.mark.parametrize(("signal", "prominence"), [("envelope", 0.05), ("axis", 0.6)])
def test_any_chunking_finds_the_same_movements(signal, prominence):
    recording = WatchSource().load().recordings[3]
    settings = DetectorSettings(
        signal=signal, smooth_s=0.25, prominence=prominence, floor=-50.0, min_gap_s=1.0
    )
    whole, _ = find_movements(recording.signals, settings, CHANNELS, UNITS, RATE, window=100)
    finder = MovementFinder(settings, CHANNELS, UNITS, RATE, window=100)
    pieces = []
    for start in range(0, len(recording.signals), 7):
        pieces += finder.push(recording.signals[start : start + 7])
    pieces += finder.finish()
    assert [(f.onset, f.peak, f.end) for f in whole] == [(f.onset, f.peak, f.end) for f in pieces]
    assert len(whole) > 10


def test_the_detector_is_fitted_from_true_events_on_the_sessions_given():
    recordings = [
        r for r in StrikesSimSource(kind="workout", n_subjects=4).load().recordings if r.subject != "4"
    ]
    settings = fit_detector(recordings, CHANNELS, UNITS, RATE)
    assert settings.fitted["from"] == "events" and settings.fitted["subjects"] == ["1", "2", "3"]
    for recording in recordings:
        found, _ = find_movements(recording.signals, settings, CHANNELS, UNITS, RATE, window=50)
        assert abs(len(found) - recording.count) <= 1


def test_repetitions_without_onsets_are_fitted_from_their_counts():
    recordings = [r for r in WatchSource().load().recordings if r.subject in ("1", "2")]
    settings = fit_detector(recordings, CHANNELS, UNITS, RATE)
    assert settings.fitted["from"] == "counts" and settings.signal == "axis"  # one rise per repetition
    assert settings.fitted["within1"] >= 0.8


def test_without_counts_the_detector_comes_from_the_signal():
    signals = _session([2.0, 5.0, 8.0])
    recording = Recording(signals, np.zeros(len(signals), np.int64), RATE, "1", "three punches")
    settings = fit_detector([recording], CHANNELS, UNITS, RATE)
    assert settings.fitted["from"] == "statistics"
    assert len(find_movements(signals, settings, CHANNELS, UNITS, RATE, window=50)[0]) == 3


def test_settings_refuse_unknown_keys_and_bad_values():
    with pytest.raises(DataError, match="unknown key.*thresh"):
        DetectorSettings.from_dict({"thresh": 1.0}, "bundle manifest detector")
    with pytest.raises(DataError, match="detector.signal='peaks'"):
        DetectorSettings(signal="peaks")
