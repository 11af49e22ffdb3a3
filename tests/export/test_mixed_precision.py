"""A mixed-precision checkpoint (float32 weights, float16 compute) exports to builtin TFLite.

Mixed precision on the CPU: slow to train, but the same Keras graph a GPU run with
`trainer.mixed_precision=auto` checkpoints.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest

from har.config import compose
from har.data.dataset import load_windows
from har.export.convert import float32_model, make_interpreter, run_tflite
from har.export.exporter import export
from har.training.run import train

pytestmark = pytest.mark.slow


def test_mixed_float16_run_exports_with_outputs_within_1e3_of_keras(tmp_path, session_cache):
    common = [f"paths.root={tmp_path}", "logger=none"]
    run = train(
        compose(
            "train",
            [
                *common,
                f"paths.output_dir={tmp_path / 'run'}",
                f"paths.cache_dir={session_cache}",
                "trainer.mixed_precision=true",
                "trainer.epochs=1",
                "data.train_fraction=0.1",
                "model.build.width=8",
                "model.build.dense_units=16",
            ],
        )
    )
    checkpoint = keras.models.load_model(run.checkpoint)
    assert {layer.dtype_policy.name for layer in checkpoint.layers[1:-1]} == {"mixed_float16"}
    assert checkpoint.output.dtype == "float32"  # the softmax head stays float32
    result = export(
        compose(
            "export",
            [
                *common,
                f"run_dir={run.run_dir}",
                f"paths.output_dir={tmp_path / 'export'}",
                f"cache_dir={session_cache}",
                "variants=[float32,float16]",
                "latency.invocations=20",
                "latency.warmup=2",
            ],
        )
    )
    reports = {r.name: r for r in result.reports}  # each against the mixed-precision Keras model
    assert reports["float32"].max_abs_delta < 1e-3 and reports["float16"].max_abs_delta < 1e-3
    assert (result.bundle / "model_float16.tflite").is_file()
    # the float32 copy conversion goes through: same weights, float32 compute
    data = load_windows(
        compose("train", [*common, "paths.output_dir=unused", f"paths.cache_dir={session_cache}"]).data
    )
    windows = data.normaliser(data.test.X[:64])
    copy = float32_model(checkpoint)
    assert all(layer.dtype_policy.name == "float32" for layer in copy.layers)
    litert = run_tflite(make_interpreter((result.bundle / "model_float32.tflite").read_bytes()), windows)
    np.testing.assert_allclose(litert, checkpoint.predict(windows, verbose=0), atol=1e-3)
    np.testing.assert_allclose(litert, copy.predict(windows, verbose=0), atol=1e-5)
