"""The VAE: fit on train only, sampling counts, the on-disk cache and its lock, the report."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from har.config import ConfigError, compose
from har.data.dataset import load_windows
from har.synth import SYNTHETIC_GROUP, cvae, synthesise
from har.synth.store import load_or_train, vae_key, verified, windows_sha256


def _vae(cfg):
    data = load_windows(cfg.data)
    return data, load_or_train(cfg.synth, data, dataset=cfg.data.name, seed=int(cfg.synth.seed))


@pytest.mark.slow  # trains a VAE
def test_the_vae_is_fit_on_train_windows_only(compose_synth):
    data, vae = _vae(compose_synth())
    info = vae.info
    assert info["fit_subjects"] == sorted(data.subjects["train"])
    assert not set(info["fit_subjects"]) & (set(data.subjects["val"]) | set(data.subjects["test"]))
    assert info["fit_windows"] == len(data.train)
    assert info["fit_windows_sha256"] == windows_sha256(data.train.X, data.train.y)
    for split in ("val", "test"):
        assert info["fit_windows_sha256"] != windows_sha256(data.split(split).X, data.split(split).y)
    assert verified(vae.path) and not vae.hit


@pytest.mark.slow  # trains a VAE
def test_ratio_gives_the_expected_count_per_class_in_raw_units(compose_synth):
    cfg = compose_synth("synth.ratio=0.5")
    data = load_windows(cfg.data)
    synthetic = synthesise(cfg.synth, data, dataset="watch")
    per_class = np.bincount(synthetic.windows.y, minlength=len(data.class_names))
    assert per_class.sum() == round(0.5 * len(data.train))
    assert per_class.max() - per_class.min() <= 1  # balanced
    assert synthetic.counts == dict(zip(data.class_names, per_class.tolist()))
    assert synthetic.windows.X.shape[1:] == data.train.X.shape[1:]
    assert set(synthetic.windows.groups) == {SYNTHETIC_GROUP}
    # the VAE works on normalised windows; its samples are turned back into g and rad/s
    decoded = cvae.sample(synthetic.vae.decoder, synthetic.windows.y, len(data.class_names), seed=0)
    np.testing.assert_allclose(data.normaliser(synthetic.windows.X), decoded, atol=1e-4)


def test_ratio_zero_trains_and_adds_nothing(compose_synth, tmp_path):
    cfg = compose_synth("synth.ratio=0")
    assert synthesise(cfg.synth, load_windows(cfg.data), dataset="watch") is None
    assert not (tmp_path / "vae").exists()


def test_a_ratio_without_a_generator_is_a_config_error(compose_synth):
    cfg = compose("train", ["synth.ratio=1", "paths.output_dir=unused"])
    with pytest.raises(ConfigError, match="synth.ratio=1.0 needs a generator"):
        synthesise(cfg.synth, load_windows(compose_synth().data), dataset="watch")


@pytest.mark.slow  # trains a VAE
def test_cache_is_hit_and_keyed_by_split_config_and_seed(compose_synth):
    cfg = compose_synth()
    data, first = _vae(cfg)
    _, second = _vae(cfg)
    assert second.hit and second.path == first.path
    key = vae_key(cfg.synth, data, 0)
    assert key == vae_key(compose_synth("synth.ratio=2", "synth.balance=proportional").synth, data, 0)
    assert key != vae_key(cfg.synth, data, 1)
    assert key != vae_key(compose_synth("synth.model.latent_dim=4").synth, data, 0)
    other_split = load_windows(compose_synth("data.split.val_subjects=[7]").data)
    assert key != vae_key(cfg.synth, other_split, 0)


@pytest.mark.slow  # trains a VAE
def test_a_truncated_or_partial_entry_is_rebuilt_not_loaded(compose_synth):
    cfg = compose_synth("synth.quality.enabled=false")  # three builds: no reference classifiers
    _, vae = _vae(cfg)
    decoder = vae.path / "decoder.keras"
    decoder.write_bytes(decoder.read_bytes()[: decoder.stat().st_size // 2])
    assert not verified(vae.path)
    _, rebuilt = _vae(cfg)
    assert not rebuilt.hit and verified(rebuilt.path)
    (rebuilt.path / "manifest.json").unlink()  # as if killed before the manifest was written
    _, again = _vae(cfg)
    assert not again.hit and verified(again.path)
    assert not [p for p in again.path.parent.iterdir() if p.name.endswith(".tmp")]


@pytest.mark.slow
def test_two_processes_asking_at_once_train_once(compose_synth, tmp_path, session_cache):
    script = textwrap.dedent(
        """
        import sys
        from har.config import compose
        from har.data.dataset import load_windows
        from har.synth.store import load_or_train
        cfg = compose("synth_report", sys.argv[1:])
        data = load_windows(cfg.data)
        vae = load_or_train(cfg.synth, data, dataset="watch", seed=0)
        print("RESULT", vae.hit, vae.path)
        """
    )
    overrides = [
        f"paths.cache_dir={session_cache}",
        f"synth.cache_dir={tmp_path / 'vae'}",
        "paths.output_dir=unused",
        "logger=none",
        "data.train_fraction=0.1",
        "synth.fit.epochs=4",
        "synth.quality.epochs=1",
        "synth.model.widths=[8,16]",
    ]
    load_windows(compose_synth().data)  # the window cache exists: both processes reach the lock together
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", script, *overrides], stdout=subprocess.PIPE, text=True, env=env
        )
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=600)[0] for p in processes]
    assert all(p.returncode == 0 for p in processes), outputs
    results = [line.split()[1:] for out in outputs for line in out.splitlines() if line.startswith("RESULT")]
    assert sorted(hit for hit, _ in results) == ["False", "True"]  # one trained, one waited and loaded
    assert len({path for _, path in results}) == 1
    assert sum(out.count("training the conditional VAE") for out in outputs) == 1


@pytest.mark.slow
def test_har_synth_reports_quality_and_logs_it(compose_synth, tmp_path):
    from wandb_records import read_run

    from har.synth.cli import report

    cfg = compose_synth("logger=wandb")
    vae = report(cfg)
    quality = json.loads((tmp_path / "report" / "quality.json").read_text())
    assert quality == vae.quality
    assert 0 <= quality["discriminative_score"] <= 0.5
    assert quality["tstr"]["macro_f1"] >= 0 and quality["trtr"]["macro_f1"] > 0
    assert {row["channel"] for row in quality["per_class_channel"]} == {"ax", "ay", "az", "gx", "gy", "gz"}
    assert (tmp_path / "report" / "quality.png").stat().st_size > 10_000
    run = read_run(next(Path(tmp_path / "report" / "wandb").glob("offline-run-*")))
    assert run["summary"]["synth/tstr_trtr_ratio"] == pytest.approx(quality["tstr_trtr_ratio"])
    assert run["config"]["synth"]["ratio"] == cfg.synth.ratio
