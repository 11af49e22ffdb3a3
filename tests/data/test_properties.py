"""Property-based: windowing equals the offline reference and splits never share a subject."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from har.data.recording import Recording
from har.data.splits import split_subjects
from har.data.windowing import window_recording


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(1, 300),
    window=st.integers(1, 60),
    hop=st.integers(1, 60),
    seed=st.integers(0, 2**16),
)
def test_windows_are_the_reference_slices(n, window, hop, seed):
    rng = np.random.default_rng(seed)
    labels = np.repeat(rng.integers(0, 3, max(1, n // 7 + 1)), 7)[:n]
    recording = Recording(rng.normal(size=(n, 6)).astype(np.float32), labels, 50.0, "1", "prop")
    if n < window:
        return
    X, y, starts = window_recording(recording, window, hop, rule="centre")
    reference = [s for s in range(0, n - window + 1, hop)]
    assert starts.tolist() == reference
    for x, label, start in zip(X, y, starts):
        np.testing.assert_array_equal(x, recording.signals[start : start + window])
        assert label == labels[start + window // 2]


@settings(max_examples=100, deadline=None)
@given(
    subjects=st.lists(st.integers(1, 500), min_size=3, max_size=40, unique=True),
    test_fraction=st.floats(0.05, 0.4),
    val_fraction=st.floats(0.05, 0.3),
    seed=st.integers(0, 1000),
)
def test_group_splits_partition_the_subjects(subjects, test_fraction, val_fraction, seed):
    try:
        splits = split_subjects(subjects, test_fraction=test_fraction, val_fraction=val_fraction, seed=seed)
    except ValueError:  # too few subjects left for train: refused, never overlapping
        return
    seen = [set(v) for v in splits.values()]
    assert all(seen)
    assert seen[0].isdisjoint(seen[1]) and seen[0].isdisjoint(seen[2]) and seen[1].isdisjoint(seen[2])
    assert set().union(*seen) == {str(s) for s in subjects}
