"""`stream=file`: a session file through the same reader as the `csv` dataset."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from har.config import compose
from har.data.rates import gap_seconds
from har.data.recording import DataError
from har.stream.sources import csv_file, simulator


def _file(tmp_path, t, **columns):
    frame = pd.DataFrame({"t": t, **columns})
    path = tmp_path / "s.csv"
    frame.to_csv(path, index=False)
    return path


def test_a_phone_file_is_read_with_the_datasets_columns_and_units(tmp_path):
    t = np.cumsum(np.full(300, 100.0)) - 100  # 10 Hz, in ms
    values = {"acc_x": np.full(300, 9.80665), "acc_y": np.zeros(300), "acc_z": np.full(300, -4.903325)}
    path = _file(tmp_path, t, **values, activity=["walk"] * 150 + ["sit"] * 150)
    stream = csv_file(
        path=str(path),
        channels=["ax", "ay", "az"],
        columns={"acc_x": "ax", "acc_y": "ay", "acc_z": "az", "activity": "label"},
        units={"t": "ms", "ax": "m/s^2", "ay": "m/s^2", "az": "m/s^2"},
    )
    assert stream.rate_hz == 10 and stream.channels == ("ax", "ay", "az")
    np.testing.assert_allclose(stream.signals[0], [1.0, 0.0, -0.5], atol=1e-6)
    assert stream.t[-1] == pytest.approx(29.9) and stream.class_names == ["sit", "walk"]
    assert [label for label, _, _ in stream.truth] == ["walk", "sit"]


def test_nan_cells_are_kept_for_the_tracker_and_other_problems_are_all_reported(tmp_path):
    t = np.arange(200) / 50
    columns = {c: np.ones(200) for c in ("ax", "ay", "az", "gx", "gy", "gz")}
    columns["gx"][50:60] = np.nan
    stream = csv_file(path=str(_file(tmp_path, t, **columns)))
    assert np.isnan(stream.signals[50:60, 3]).all() and stream.rate_hz == 50
    text = (tmp_path / "s.csv").read_text().splitlines()
    text[5] = text[5].replace("1.0", "one", 1)
    text[9], text[10] = text[10], text[9]
    (tmp_path / "s.csv").write_text("\n".join(text) + "\n")
    with pytest.raises(DataError) as raised:
        csv_file(path=str(tmp_path / "s.csv"))
    message = str(raised.value)
    assert "2 problems in 1 file" in message and "line 6, column ax: 'one' is not a finite number" in message
    assert "line 11: timestamp t=0.16 goes back from the previous one (0.18)" in message


def test_a_stream_is_cut_to_the_models_channels():
    stream = simulator(session_s=5)
    accel = stream.select(["ax", "ay", "az"])
    np.testing.assert_array_equal(accel.signals, stream.signals[:, :3])
    assert accel.channels == ("ax", "ay", "az") and stream.select(list(stream.channels)) is stream
    with pytest.raises(DataError, match=r"the model needs channel\(s\) mx, the stream has ax ay az gx gy gz"):
        stream.select(["ax", "mx"])


def test_the_trackers_gap_is_a_multiple_of_the_streams_period():
    cfg = compose("track", ["bundle=unused", "paths.output_dir=unused"])
    assert cfg.max_gap_periods == 5
    assert gap_seconds(50, cfg.max_gap_periods) == pytest.approx(0.1)  # as before at 50 Hz
    assert gap_seconds(10, cfg.max_gap_periods) == pytest.approx(0.5)  # a 10 Hz step (0.1 s) is no gap
