"""Sweep fixtures: tiny trials (a tenth of watch's train windows, two epochs, small models)."""

from __future__ import annotations

import pytest

from har.config import compose

TINY_TRAIN = '["trainer.epochs=2","data.train_fraction=0.1","trainer.patience=0"]'


@pytest.fixture
def compose_sweep(tmp_path, session_cache):
    def _compose(*overrides: str):
        return compose(
            "sweep",
            [
                f"paths.root={tmp_path}",
                f"paths.output_dir={tmp_path / 'sweep'}",
                f"paths.cache_dir={session_cache}",
                "logger=none",
                "sweep.export=false",
                "sweep.workers=1",
                "sweep.search_space=tiny",
                f"sweep.train_overrides={TINY_TRAIN}",
                *overrides,
            ],
        )

    return _compose
