"""Synth fixtures: a tiny VAE (two epochs, one reference epoch) on a tenth of watch's train."""

from __future__ import annotations

import pytest

from har.config import compose

TINY_VAE = ["synth.fit.epochs=2", "synth.quality.epochs=1", "synth.model.widths=[8,16]"]


@pytest.fixture
def compose_synth(tmp_path, session_cache):
    """Compose `synth_report.yaml` on tiny data, the VAE cache under tmp_path."""

    def _compose(*overrides: str):
        return compose(
            "synth_report",
            [
                f"paths.root={tmp_path}",
                f"paths.output_dir={tmp_path / 'report'}",
                f"paths.cache_dir={session_cache}",
                f"synth.cache_dir={tmp_path / 'vae'}",
                "logger=none",
                "data.train_fraction=0.1",
                *TINY_VAE,
                *overrides,
            ],
        )

    return _compose
