"""The VAE cache: one trained VAE per (train split, synth config, seed), shared by every run.

An entry is a folder `<cache_dir>/<dataset>-<key>/` holding `decoder.keras`, `vae.json` (what
it was fit on, losses), `quality.json` / `quality.png` and, written last, `manifest.json` with
the sha256 of every other file. An entry is used only if its manifest verifies; anything
else (a truncated file, a folder left by a killed process) is rebuilt. Entries are built in a
temporary folder and renamed into place, and a file lock per key makes concurrent runs (sweep
workers) wait for the one that trains instead of training the same VAE again.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keras
import numpy as np
from filelock import FileLock
from omegaconf import DictConfig, OmegaConf

from har.config import instantiate
from har.data import CacheKeys, WindowedData, cache_key
from har.io import sha256_file, write_json
from har.synth import cvae
from har.synth.quality import Builder, format_report, plot_examples, quality_report
from har.synth.sampling import class_counts, labels_for

# Bump when the VAE or the quality code changes what an entry holds for the same key.
STORE_FORMAT = 1
FILES = ("decoder.keras", "vae.json", "quality.json", "quality.png")


@dataclass
class TrainedVAE:
    decoder: keras.Model
    info: dict[str, Any]  # vae.json
    quality: dict[str, Any] | None  # quality.json (None when synth.quality.enabled is false)
    path: Path
    hit: bool


def windows_sha256(X: np.ndarray, y: np.ndarray) -> str:
    """Fingerprint of a window set: what the VAE was fit on, and half of its cache key."""
    digest = hashlib.sha256(np.ascontiguousarray(X, dtype=np.float32).tobytes())
    digest.update(np.ascontiguousarray(y, dtype=np.int64).tobytes())
    return digest.hexdigest()


# What a cached VAE depends on (the `synth` config's keys; the data through the train windows'
# content); see `har.data.CacheKeys`.
SYNTH_CACHE = CacheKeys(
    "vae",
    depends_on=("model", "fit", "quality", "seed"),
    ignores={
        "name": "the generator's name; its settings are in `model`",
        "ratio": "how many samples are drawn, not the VAE: every ratio of a sweep shares one VAE",
        "balance": "how the samples' labels are drawn, not the VAE",
        "augment": "whether augmentation applies to the samples, not the VAE",
        "cache_dir": "where the entries are, not what they hold",
    },
)


def vae_key(synth_cfg: DictConfig, data: WindowedData, seed: int) -> str:
    """Hash of the train split's content and classes, the keys `SYNTH_CACHE` depends on
    (the VAE's model, fit and quality settings) and the seed."""
    settings = OmegaConf.to_container(synth_cfg, resolve=True)
    parts = {
        "store_format": STORE_FORMAT,
        "train": windows_sha256(data.train.X, data.train.y),
        "classes": data.class_names,
        **SYNTH_CACHE.parts(settings),
        "seed": seed,
    }
    return cache_key(parts)


def verified(entry: Path) -> bool:
    """True if `entry` has a manifest whose every file is present with the recorded sha256."""
    try:
        manifest = json.loads((entry / "manifest.json").read_text())
        return bool(manifest["files"]) and all(
            sha256_file(entry / name) == digest for name, digest in manifest["files"].items()
        )
    except (OSError, ValueError, KeyError, TypeError):
        return False


def _load(entry: Path) -> TrainedVAE | None:
    if not verified(entry):
        return None
    try:
        decoder = keras.models.load_model(entry / "decoder.keras", compile=False)
    except Exception:  # noqa: BLE001 - a file that verifies but will not load is rebuilt too
        return None
    quality_file = entry / "quality.json"
    quality = json.loads(quality_file.read_text()) if quality_file.is_file() else None
    return TrainedVAE(decoder, json.loads((entry / "vae.json").read_text()), quality, entry, hit=True)


def _train_into(folder: Path, synth_cfg: DictConfig, data: WindowedData, key: str, seed: int) -> None:
    """Fit the VAE on the train split only, measure it, and write every file of an entry."""
    num_classes = len(data.class_names)
    train = data.normaliser(data.train.X)  # (N, T, C), the VAE's units
    keras.utils.set_random_seed(seed)
    encoder, decoder = instantiate(synth_cfg.model, "synth.model")(data.input_shape, num_classes)
    if synth_cfg.quality.enabled:  # a bad builder fails now, not after the VAE is fit
        reference = instantiate(synth_cfg.quality.reference, "synth.quality.reference")
    fit = synth_cfg.fit
    print(
        f"synth: training the conditional VAE on {len(train)} train windows "
        f"(subjects {', '.join(data.subjects['train'])}), {int(fit.epochs)} epochs",
        flush=True,
    )
    history = cvae.fit(
        encoder,
        decoder,
        train,
        data.train.y,
        num_classes=num_classes,
        epochs=int(fit.epochs),
        batch_size=int(fit.batch_size),
        learning_rate=float(fit.learning_rate),
        beta=float(fit.beta),
        kl_warmup_epochs=int(fit.kl_warmup_epochs),
        seed=seed,
    )
    decoder.save(folder / "decoder.keras")
    write_json(
        folder / "vae.json",
        {
            "key": key,
            "seed": seed,
            "fit_subjects": sorted(np.unique(data.train.groups).tolist()),
            "fit_windows": len(train),
            "fit_windows_sha256": windows_sha256(data.train.X, data.train.y),
            "class_names": data.class_names,
            "input_shape": list(data.input_shape),
            "channels": list(data.channels),
            "normaliser": data.normaliser.to_dict(),
            "config": OmegaConf.to_container(synth_cfg, resolve=True),
            "history": {"reconstruction": history.reconstruction, "kl": history.kl},
            "seconds": round(history.seconds, 2),
        },
    )
    if synth_cfg.quality.enabled:
        _measure_into(folder, synth_cfg, data, decoder, reference, seed)
    write_json(
        folder / "manifest.json",
        {
            "key": key,
            "files": {name: sha256_file(folder / name) for name in FILES if (folder / name).is_file()},
        },
    )


def _measure_into(
    folder: Path,
    synth_cfg: DictConfig,
    data: WindowedData,
    decoder: keras.Model,
    reference: Builder,
    seed: int,
) -> None:
    """Write quality.json and quality.png of a fitted VAE (the module docstring of `quality`)."""
    num_classes = len(data.class_names)
    train = data.normaliser(data.train.X)  # (N, T, C), the VAE's units
    # Synthetic windows with the train label distribution, plus as many fresh ones for the
    # real-vs-synthetic classifier; seeds apart from those used for training runs.
    labels = labels_for(class_counts(data.train.y, num_classes, 1.0, "proportional"))
    synthetic = cvae.sample(decoder, labels, num_classes, seed=seed + 10_000)
    fresh = cvae.sample(decoder, labels, num_classes, seed=seed + 20_000)
    report = quality_report(
        real_train=train,
        real_train_y=data.train.y,
        real_val=data.normaliser(data.val.X),
        real_val_y=data.val.y,
        synthetic=synthetic,
        synthetic_y=labels,
        discriminator_synthetic=fresh,
        class_names=data.class_names,
        reference=reference,
        epochs=int(synth_cfg.quality.epochs),
        seed=seed,
        channels=data.channels,
    )
    write_json(folder / "quality.json", report)
    plot_examples(
        train,
        data.train.y,
        synthetic,
        labels,
        data.class_names,
        folder / "quality.png",
        seed=seed,
        channels=data.channels,
    )
    print(format_report(report), flush=True)


def load_or_train(synth_cfg: DictConfig, data: WindowedData, *, dataset: str, seed: int) -> TrainedVAE:
    """The cached VAE for this split, config and seed; trained (once, under a lock) if absent."""
    key = vae_key(synth_cfg, data, seed)
    root = Path(synth_cfg.cache_dir)
    root.mkdir(parents=True, exist_ok=True)
    entry = root / f"{dataset}-{key}"
    loaded = _load(entry)
    if loaded is not None:
        return loaded
    with FileLock(str(root / f"{dataset}-{key}.lock")):
        loaded = _load(entry)  # another process may have built it while we waited
        if loaded is not None:
            return loaded
        if entry.exists():
            print(f"synth: cache entry {entry} is incomplete or corrupt; rebuilding it", flush=True)
            shutil.rmtree(entry)
        building = Path(tempfile.mkdtemp(prefix=f".{entry.name}.", suffix=".tmp", dir=root))
        try:
            _train_into(building, synth_cfg, data, key, seed)
            os.replace(building, entry)
        finally:
            shutil.rmtree(building, ignore_errors=True)
    built = _load(entry)
    if built is None:
        raise RuntimeError(f"synth: the VAE written to {entry} does not verify")
    built.hit = False
    return built
