"""The strike simulator: seeded, physically plausible, ground truth consistent with labels."""

from __future__ import annotations

import numpy as np

from har.data.sources.strikes_sim import _DURATION_S, CLASS_NAMES, StrikesSimSource


def test_seeded_and_different_across_seeds():
    a = StrikesSimSource(n_subjects=3, sessions_per_subject=1, session_s=20, seed=1).load()
    b = StrikesSimSource(n_subjects=3, sessions_per_subject=1, session_s=20, seed=1).load()
    c = StrikesSimSource(n_subjects=3, sessions_per_subject=1, session_s=20, seed=2).load()
    np.testing.assert_array_equal(a.recordings[0].signals, b.recordings[0].signals)
    assert a.recordings[0].events == b.recordings[0].events
    assert not np.array_equal(a.recordings[0].signals, c.recordings[0].signals)


def test_magnitudes_and_durations_are_plausible():
    recordings = StrikesSimSource(n_subjects=4, sessions_per_subject=1, session_s=120).load().recordings
    for recording in recordings:
        idle = recording.labels == 0
        accel_norm = np.linalg.norm(recording.signals[:, :3], axis=1)
        assert 0.8 < np.median(accel_norm[idle]) < 1.2  # gravity at rest, in g
        assert accel_norm.max() < 20  # wrist punches peak around 5-15 g
        assert np.abs(recording.signals[:, 3:]).max() < 25  # rad/s
        for event in recording.events:
            low, high = _DURATION_S[event.label]
            assert low / 1.2 <= event.end_s - event.start_s <= high / 0.8
            inside = recording.labels[round(event.start_s * 50) : round(event.end_s * 50)]
            assert (inside == CLASS_NAMES.index(event.label)).all()
    labels = {e.label for r in recordings for e in r.events}
    assert labels == set(CLASS_NAMES[1:])
