"""export.ensemble=true: a cross-validated run's fold models averaged in one builtin-op graph."""

from __future__ import annotations

import json

import numpy as np
import pytest

from har.config import compose
from har.data.dataset import Normaliser
from har.export.convert import make_interpreter, run_tflite, to_tflite
from har.export.ensemble import build_ensemble
from har.models import load


def _normaliser(folder):
    stored = json.loads((folder / "data.json").read_text())["normaliser"]
    return Normaliser(np.asarray(stored["mean"], np.float32), np.asarray(stored["std"], np.float32))


@pytest.mark.slow
def test_the_ensemble_is_the_mean_of_the_fold_models_each_on_its_own_normalisation(cross_validated_run):
    result, _, cfg = cross_validated_run
    run_dir = result.run_dir
    raw = np.random.default_rng(0).normal(0, 0.5, size=(32, 100, 6)).astype(np.float32)  # g, rad/s
    refit = _normaliser(run_dir)
    ensemble = build_ensemble(run_dir)
    got = ensemble.predict(refit(raw), verbose=0)  # what an app feeds: the manifest's normalisation
    folds = [run_dir / "folds" / f"fold-{n}" for n in (1, 2, 3)]
    expected = np.mean(
        [load(f / "best.keras").predict(_normaliser(f)(raw), verbose=0) for f in folds], axis=0
    )
    np.testing.assert_allclose(got, expected, atol=1e-5)
    for variant in ("float32", "float16"):
        content = to_tflite(ensemble, variant)  # builtin ops only, or it raises
        np.testing.assert_allclose(run_tflite(make_interpreter(content), refit(raw)), got, atol=1e-4)


@pytest.mark.slow
def test_export_compares_the_ensemble_with_the_refit_and_ships_it(cross_validated_run, tmp_path):
    from har.export.exporter import export

    result, _, _ = cross_validated_run
    cfg = compose(
        "export",
        [
            f"run_dir={result.run_dir}",
            f"paths.root={tmp_path}",
            f"paths.output_dir={tmp_path / 'export'}",
            "logger=none",
            "variants=[float32,float16]",
            "ensemble=true",
            "latency.invocations=20",
            "latency.warmup=2",
            "guard.max_accuracy_drop=100",
        ],
    )
    bundle = export(cfg).bundle
    reports = {r["name"]: r for r in json.loads((bundle / "comparison.json").read_text())["reports"]}
    assert list(reports) == [
        "keras",
        "float32",
        "float16",
        "ensemble_keras",
        "ensemble_float32",
        "ensemble_float16",
    ]
    assert (
        reports["ensemble_float32"]["agreement"] == 1.0
        and reports["ensemble_float32"]["max_abs_delta"] < 1e-4
    )
    refit_params = reports["keras"]["extra"]["parameters"]
    assert reports["ensemble_float16"]["extra"]["parameters"] == 3 * refit_params
    assert (bundle / "model_ensemble_float16.tflite").is_file()
    manifest = json.loads((bundle / "manifest.json").read_text())
    refit = json.loads((result.run_dir / "data.json").read_text())["normaliser"]
    assert manifest["normalisation"]["mean"] == pytest.approx(refit["mean"])  # one preprocessing step
    assert "ensemble_" in (bundle / "comparison.md").read_text()
