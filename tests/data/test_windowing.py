"""Windowing and label rules against hand-computed cases."""

from __future__ import annotations

import numpy as np
import pytest
from recording_helpers import window_recording

from har.data.recording import DataError, Recording, RecordingSet
from har.data.windowing import resample, samples_per


def _recording(labels, n_channels=6, rate=10.0):
    n = len(labels)
    signals = np.arange(n * n_channels, dtype=np.float32).reshape(n, n_channels)
    return Recording(signals=signals, labels=np.asarray(labels), rate_hz=rate, subject="1", name="hand")


def test_hand_computed_windows_and_majority_labels():
    # 10 samples, window 4, hop 2 -> starts 0, 2, 4, 6
    labels = [0, 0, 0, 0, 1, 1, 1, -1, -1, -1]
    X, y, starts = window_recording(_recording(labels), 4, 2, rule="majority", min_purity=0.75)
    # start 0: [0 0 0 0] -> 0; start 2: [0 0 1 1] purity .5 -> dropped;
    # start 4: [1 1 1 -1] -> 1 (purity .75); start 6: [1 -1 -1 -1] -> unlabelled, dropped
    assert starts.tolist() == [0, 4]
    assert y.tolist() == [0, 1]
    assert X.shape == (2, 4, 6) and X.dtype == np.float32
    np.testing.assert_array_equal(X[1], np.arange(4 * 6, 8 * 6, dtype=np.float32).reshape(4, 6))


def test_centre_rule_takes_the_centre_sample():
    labels = [0, 0, 1, 1, 1, 2, 2, 2]
    _, y, starts = window_recording(_recording(labels), 4, 2, rule="centre")
    assert starts.tolist() == [0, 2, 4]
    assert y.tolist() == [1, 1, 2]  # centre index 2 of each window


def test_tail_shorter_than_a_window_is_dropped():
    _, _, starts = window_recording(_recording([0] * 11), 4, 3)
    assert starts.tolist() == [0, 3, 6]


def test_recording_shorter_than_a_window_is_an_error():
    with pytest.raises(DataError, match="hand: 3 samples .* shorter than one window of 4"):
        window_recording(_recording([0, 0, 0]), 4, 2)


def test_unknown_label_rule():
    with pytest.raises(DataError, match="label_rule='mode'"):
        window_recording(_recording([0] * 8), 4, 2, rule="mode")


def test_wrong_channel_count_names_the_recording():
    with pytest.raises(
        DataError, match=r"hand: signals have 5 columns, expected 6 \(ax, ay, az, gx, gy, gz\)"
    ):
        RecordingSet([_recording([0] * 8, n_channels=5)], ["a"], "hand-made")
    with pytest.raises(DataError, match=r"hand: signals have shape \(8,\)"):
        Recording(
            signals=np.zeros(8, np.float32),
            labels=np.zeros(8, dtype=int),
            rate_hz=10,
            subject="1",
            name="hand",
        )


def test_nan_names_row_and_column():
    signals = np.zeros((8, 6), dtype=np.float32)
    signals[5, 4] = np.nan
    with pytest.raises(DataError, match="row 5, channel 4"):
        Recording(signals=signals, labels=np.zeros(8, dtype=int), rate_hz=10, subject="1", name="hand")


def test_samples_per_refuses_fractions_of_a_sample():
    assert samples_per(2.56, 50) == 128
    with pytest.raises(DataError, match="12.5 samples"):
        samples_per(0.25, 50)


def test_resample_halves_the_rate():
    recording = _recording([0] * 10 + [1] * 10, rate=20.0)
    half = resample(recording, 10.0)
    assert half.rate_hz == 10 and len(half.signals) == 10
    np.testing.assert_allclose(half.signals[:, 0], recording.signals[::2, 0])
    assert half.labels.tolist() == [0] * 5 + [1] * 5
