"""The decoders' model-free parts: fixed-lag Viterbi, learnt switching costs, the envelope, stdin lines."""

from __future__ import annotations

import io

import numpy as np
import pytest

from har.data.recording import DataError
from har.stream.live import LineStream
from har.stream.switching import SwitchingModel, learn_switching
from har.stream.thresholds import Envelope, History
from har.stream.viterbi import FixedLagViterbi

STAY = np.log(np.array([[0.95, 0.05], [0.05, 0.95]]))
FLAT = np.log(np.array([0.5, 0.5]))


def _decode(posteriors, lag, transitions=STAY):
    viterbi = FixedLagViterbi(transitions, FLAT, lag=lag)
    decided = [s for p in posteriors if (s := viterbi.step(np.asarray(p))) is not None]
    return decided, decided + viterbi.finish()


def test_a_one_window_flicker_is_decoded_away_and_a_lasting_change_is_kept():
    posteriors = [[0.9, 0.1]] * 5 + [[0.3, 0.7]] + [[0.9, 0.1]] * 5 + [[0.2, 0.8]] * 6
    _, states = _decode(posteriors, lag=3)
    assert states == [0] * 11 + [1] * 6
    assert np.argmax(posteriors, axis=1).tolist() != states  # plain argmax keeps the flicker


def test_lag_is_fixed_and_a_long_lag_equals_offline_viterbi():
    rng = np.random.default_rng(0)
    posteriors = rng.dirichlet([1, 1], size=40)
    for lag in (0, 2, 5):
        decided, states = _decode(posteriors, lag)
        assert len(decided) == 40 - lag and len(states) == 40  # each decision comes lag steps late
    _, offline = _decode(posteriors, lag=40)
    _, long_lag = _decode(posteriors, lag=39)
    assert long_lag == offline
    _, no_memory = _decode(posteriors, lag=0, transitions=FLAT[None, :].repeat(2, axis=0))
    assert no_memory == np.argmax(posteriors, axis=1).tolist()  # no switching cost: argmax


def test_lag_must_not_be_negative():
    with pytest.raises(ValueError, match="decoder.lag=-1"):
        FixedLagViterbi(STAY, FLAT, lag=-1)


def test_switching_learnt_from_labels_skips_unlabelled_samples(tmp_path):
    labels = np.array([0] * 40 + [-1] * 10 + [1] * 20 + [0] * 20)
    model = learn_switching([labels], ["a", "b"], hop=10, hop_s=0.2)
    transitions = np.exp(model.log_transitions)
    # sampled every 10: a a a a (skip) b b a a -> a->a 3+1, a->b 1, b->b 1, b->a 1; plus one each
    np.testing.assert_allclose(transitions, [[5 / 7, 2 / 7], [2 / 4, 2 / 4]])
    np.testing.assert_allclose(np.exp(model.log_priors), [7 / 10, 3 / 10])
    again = SwitchingModel.load(model.save(tmp_path / "switching.json"))
    np.testing.assert_allclose(again.log_transitions, model.log_transitions)
    (tmp_path / "bad.json").write_text("{}")
    with pytest.raises(DataError, match="bad.json: not a switching model"):
        SwitchingModel.load(tmp_path / "bad.json")


UNITS = {"ax": "g", "ay": "g", "az": "g", "gx": "rad/s", "gy": "rad/s", "gz": "rad/s"}
CHANNELS = list(UNITS)


def test_envelope_is_zero_at_rest_in_any_orientation_and_chunking_does_not_matter():
    rng = np.random.default_rng(1)
    gravity = rng.normal(size=(300, 3))
    rest = np.concatenate(
        [gravity / np.linalg.norm(gravity, axis=1, keepdims=True), np.zeros((300, 3))], axis=1
    )
    assert np.abs(Envelope(CHANNELS, UNITS, 50, smooth_s=0.05, gyro_weight=0.5)(rest)).max() < 1e-6
    moving = rest + rng.normal(scale=0.5, size=rest.shape)
    whole = Envelope(CHANNELS, UNITS, 50, smooth_s=0.1, gyro_weight=0.5)(moving)
    chunked = Envelope(CHANNELS, UNITS, 50, smooth_s=0.1, gyro_weight=0.5)
    pieces = np.concatenate([chunked(moving[i : i + 7]) for i in range(0, 300, 7)])
    np.testing.assert_allclose(pieces, whole)
    accel_only = Envelope(["ax", "ay", "az"], UNITS, 50, smooth_s=0.0, gyro_weight=0.5)
    assert accel_only(moving[:, :3]).shape == (300,)
    with pytest.raises(DataError, match="no acceleration"):
        Envelope(["p"], {"p": "hPa"}, 50, smooth_s=0.0, gyro_weight=0.5)


def test_envelope_takes_each_sensor_as_its_own_vector():
    channels = ["ax", "ay", "az", "temp", "a2x", "a2y", "a2z", "gx", "gy", "gz"]
    units = {**UNITS, "a2x": "g", "a2y": "g", "a2z": "g", "temp": "C"}
    rng = np.random.default_rng(2)
    rest = np.zeros((200, len(channels)))
    for sensor in (slice(0, 3), slice(4, 7)):  # two accelerometers, each feeling 1 g
        gravity = rng.normal(size=(200, 3))
        rest[:, sensor] = gravity / np.linalg.norm(gravity, axis=1, keepdims=True)
    rest[:, 3] = 25.0  # a free channel is no part of the envelope
    envelope = Envelope(channels, units, 50, smooth_s=0.0, gyro_weight=0.5)
    assert np.abs(envelope(rest)).max() < 1e-6  # not |sqrt(2) - 1|: two sensors, not six axes
    shaken = rest.copy()
    shaken[:, 4:7] *= 3.0  # the second accelerometer at 3 g: the mean of |3 - 1| and 0
    np.testing.assert_allclose(envelope(shaken), 1.0, rtol=1e-6)


def test_history_keeps_the_last_samples_by_index():
    history = History(size=10, channels=1)
    for start in range(0, 25, 5):
        index = np.arange(start, start + 5)
        history.append(index / 50, index[:, None].astype(np.float32), index * 0.1)
    assert history.count == 25 and history.oldest == 15
    np.testing.assert_array_equal(history.window(25, 4)[:, 0], [21, 22, 23, 24])
    assert history.time(20) == pytest.approx(0.4)


def _lines(text, size=3, channels=("ax", "ay")):
    stream = LineStream(rate_hz=50, channels=list(channels), source=io.StringIO(text))
    return list(stream.chunks(size))


def test_stdin_lines_with_and_without_a_header():
    plain = _lines("10.0,1,2\n10.02,3,4\n10.04,5,6\n10.06,7,8\n")
    assert [len(t) for t, _ in plain] == [3, 1]
    np.testing.assert_allclose(plain[0][0], [0, 0.02, 0.04])  # relative to the first sample
    np.testing.assert_array_equal(plain[1][1], [[7, 8]])
    reordered = _lines("ay,t,label,ax\n2,0.0,jab,1\n4,0.02,,3\n")
    np.testing.assert_array_equal(reordered[0][1], [[1, 2], [3, 4]])
    gap = _lines("0,1,\n0.02,1,2\n")  # an empty cell is a missing value: the tracker drops the row
    assert np.isnan(gap[0][1][0, 1])


def test_stdin_lines_in_a_declared_order_reach_the_model_in_its_order():
    stream = LineStream(rate_hz=50, channels=["gx", "ax", "ay"], source=io.StringIO("0,9,1,2\n0.02,8,3,4\n"))
    chunks = list(stream.select(["ax", "ay"]).chunks(5))  # the bundle's channels, in its order
    np.testing.assert_array_equal(chunks[0][1], [[1, 2], [3, 4]])
    with pytest.raises(DataError, match="stdin: the model needs channel.s. az, the stream has gx ax ay"):
        LineStream(rate_hz=50, channels=["gx", "ax", "ay"]).select(["ax", "ay", "az"])


@pytest.mark.parametrize(
    "text, message",
    [
        ("t,ax\n0,1\n", "line 1: header has no column.s. ay"),
        ("0,1\n", "line 1: 2 values, expected t and 2 channels"),
        ("0,1,2\n0.02,x,2\n", "line 2: could not convert"),
        ("0,1,2\n0,1,2\n", "line 2: timestamp t=0.0 does not increase"),
        ("nan,1,2\n", "line 1: timestamp 'nan' is not a number"),
    ],
)
def test_stdin_bad_lines_name_the_line(text, message):
    with pytest.raises(DataError, match=f"stdin: {message}"):
        _lines(text)


def test_onset_offsets_are_the_median_lateness_per_class():
    from har.stream.events import Movement
    from har.stream.thresholds import learn_onset_offsets

    truth = [[("jab", 1.0, 1.3), ("hook", 3.0, 3.4), ("jab", 5.0, 5.3)], [("jab", 1.0, 1.3)]]
    events = [
        [
            Movement("jab", 1.1, 1.3, 0.9, 1.5),
            Movement("hook", 2.5, 3.4, 0.9, 3.6),
            Movement("jab", 5.3, 5.4, 0.9, 5.6),
        ],
        [
            Movement("jab", 1.2, 1.4, 0.9, 1.5),
            Movement("jab", 9.0, 9.3, 0.9, 9.5),
        ],  # the second: no truth near
    ]
    assert learn_onset_offsets(events, truth, collar_s=1.0) == {"hook": -0.5, "jab": 0.2}
