"""Synth fixtures: a tiny VAE (`tiny_vae`) on a tenth of watch's train windows."""

from __future__ import annotations

import pytest

from har.config import compose


@pytest.fixture
def compose_synth(tmp_path, session_cache, tiny_vae):
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
                *tiny_vae,
                *overrides,
            ],
        )

    return _compose
