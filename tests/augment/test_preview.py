"""`har-augment-preview`: a train window, each step forced on it, the pipeline; a PNG and W&B."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

from har.augment import build_pipeline
from har.augment.preview import panels, preview
from har.config import ConfigError, compose
from har.data.dataset import load_windows
from har.io import sha256_file


@pytest.fixture
def compose_preview(tmp_path, session_cache):
    def _compose(*overrides: str):
        return compose(
            "augment_preview",
            [
                f"paths.root={tmp_path}",
                f"paths.output_dir={tmp_path / 'preview'}",
                f"paths.cache_dir={session_cache}",
                *overrides,
            ],
        )

    return _compose


def test_panels_show_the_window_each_step_forced_and_the_pipeline(compose_preview):
    cfg = compose_preview("augment=strong", "index=30", "seed=4")
    data = load_windows(cfg.data)
    window = data.train.X[30:31]  # (1, T, C)
    shown = panels(cfg, window, data.channels)
    steps = list(cfg.augment.steps)
    assert len(shown) == 1 + len(steps) + 1
    assert shown[0][0] == "original"
    np.testing.assert_array_equal(shown[0][1], window[0])
    for (title, values), step in zip(shown[1:-1], steps):
        assert title.startswith(step._target_.rsplit(".", 1)[-1])
        assert values.shape == window.shape[1:]
        assert not np.array_equal(values, window[0])  # forced: probability 1, whatever the config says
    expected = build_pipeline(cfg.augment)(tf.constant(window), tf.constant([4, 0], tf.int64)).numpy()[0]
    np.testing.assert_array_equal(shown[-1][1], expected)  # the pipeline as training runs it


def test_preview_writes_the_png_and_logs_it(compose_preview, tmp_path):
    from wandb_records import read_run

    path = preview(compose_preview("augment=light", "index=3"))
    assert path == tmp_path / "preview" / "augment_light.png"
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 20_000
    run = read_run(next(Path(path.parent / "wandb").glob("offline-run-*")))
    assert run["run"]["job_type"] == "augment-preview" and run["config"]["augment"]["name"] == "light"
    logged = next(row for row in run["history"] if "augment/light/sha256" in row)
    assert logged["augment/light/sha256"] == sha256_file(path)  # the very PNG, as an image


def test_an_index_outside_train_is_refused(compose_preview, tmp_path):
    with pytest.raises(ConfigError, match=r"index=100000: train has \d+ windows"):
        preview(compose_preview("index=100000", "logger=none"))
    assert not (tmp_path / "preview").exists()
