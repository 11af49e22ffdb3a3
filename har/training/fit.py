"""One fit on one split, and the evaluation of its checkpoint: the parts `train()` repeats.

A holdout run is one `fit_split` and one `evaluate`; a cross-validated run is one of each
per fold plus a refit. Where training runs (threads, distribution strategy) is in
`har.training.devices`; what happens after every epoch in `har.training.callbacks`.
"""

from __future__ import annotations

import random
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf
from omegaconf import DictConfig

from har.config import ConfigError, instantiate
from har.data import BatchAugment, WindowedData, batches_per_epoch, make_dataset
from har.io import atomic_write, write_bytes, write_json
from har.metrics import VAL_ACCURACY, VAL_MACRO_F1, classification_metrics, confusion, plot_confusion
from har.models import TrainingWindows, load
from har.synth import Synthetic, headline, synthesise
from har.training.callbacks import EpochEnd, EpochHook, WeightAverage
from har.training.devices import precision_policy
from har.training.run_folder import RunFolder


@dataclass
class Fitted:
    """What one fit leaves: its checkpoint, per-epoch history and the epoch it kept."""

    checkpoint: Path
    history: list[dict[str, Any]]
    best_epoch: int
    params: int
    synth: dict[str, Any] = field(default_factory=dict)

    @property
    def train_metrics(self) -> dict[str, float]:
        """`train/*` at the kept epoch."""
        row = self.history[self.best_epoch - 1]
        return {k: v for k, v in row.items() if k.startswith("train/")}


def check_trainer(trainer: DictConfig) -> None:
    """Refuse a bad `trainer.*` value, naming the key."""
    for key in ("epochs", "batch_size"):
        if not isinstance(trainer[key], int) or trainer[key] <= 0:
            raise ConfigError(f"trainer.{key}={trainer[key]}: expected a positive integer")
    if trainer.patience < 0:
        raise ConfigError(f"trainer.patience={trainer.patience}: expected >= 0")
    if not 0 <= trainer.label_smoothing < 1:
        raise ConfigError(f"trainer.label_smoothing={trainer.label_smoothing}: expected a value in [0, 1)")
    choices = {
        "class_weight": ("none", "balanced"),
        "strategy": ("default", "mirrored"),
        "monitor": (VAL_MACRO_F1, VAL_ACCURACY),
        "weight_average": ("none", "ema"),
    }
    for key, allowed in choices.items():
        if trainer[key] not in allowed:
            raise ConfigError(f"trainer.{key}={trainer[key]!r}: expected one of {', '.join(allowed)}")
    if not 0 < trainer.ema_decay < 1:
        raise ConfigError(f"trainer.ema_decay={trainer.ema_decay}: expected a value in (0, 1)")


@contextmanager
def process_settings(trainer: DictConfig) -> Iterator[None]:
    """Op determinism and seeds for the run; the process's own settings are back afterwards.

    (Thread pools, `trainer.threads`, can only be sized before TensorFlow starts and stay.)
    """
    # TensorFlow's public API can only turn determinism on; reading and undoing it is private.
    from tensorflow.python.framework import config as tf_config

    determinism = tf_config.is_op_determinism_enabled()
    python_state, numpy_state = random.getstate(), np.random.get_state()
    policy = keras.mixed_precision.global_policy()
    if trainer.deterministic:
        tf.config.experimental.enable_op_determinism()
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*`shuffle=True` was passed.*")  # ours is tf.data
            yield
    finally:
        if not determinism:
            tf_config.disable_op_determinism()
        random.setstate(python_state)
        np.random.set_state(numpy_state)
        keras.mixed_precision.set_global_policy(policy)


def build_model(cfg: DictConfig, data: WindowedData) -> keras.Model:
    """The model of `cfg.model` for `data`; a bad parameter is a ConfigError naming `model.build`.

    Every builder is handed the real training windows (no synthetic ones), their channels,
    units and normaliser (`har.models.TrainingWindows`): layers fitted to data fit on train only.
    """
    builder = instantiate(cfg.model.build, "model.build")
    training = TrainingWindows(
        data.train.X, tuple(data.channels), dict(data.units), data.normaliser.mean, data.normaliser.std
    )
    try:
        return builder(data.input_shape, len(data.class_names), data=training)
    except (ValueError, TypeError) as error:
        raise ConfigError(f"model={cfg.model.name}: model.build.{error}") from None


def compile_model(
    cfg: DictConfig, data: WindowedData, steps_per_epoch: int, distribution: tf.distribute.Strategy
) -> keras.Model:
    """Build and compile `cfg.model` for `data` under the run's strategy and precision."""
    trainer = cfg.trainer
    policy = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy(precision_policy(trainer.mixed_precision))  # true | false | auto
    try:
        with distribution.scope():
            model = build_model(cfg, data)
            make_optimizer = instantiate(cfg.optimizer, "optimizer")
            try:
                # the schedule spans trainer.epochs even when a refit stops earlier
                optimizer = make_optimizer(steps_per_epoch=steps_per_epoch, epochs=int(trainer.epochs))
            except (ValueError, TypeError) as error:
                raise ConfigError(f"optimizer.{error}") from None
            model.compile(
                optimizer=optimizer,
                loss=keras.losses.CategoricalCrossentropy(label_smoothing=float(trainer.label_smoothing)),
                metrics=["accuracy"],
            )
    finally:
        keras.mixed_precision.set_global_policy(policy)
    return model


def class_weight(y: np.ndarray, num_classes: int, mode: str) -> dict[int, float] | None:
    if mode == "none":
        return None
    counts = np.bincount(y, minlength=num_classes)
    return {k: float(len(y) / (num_classes * max(c, 1))) for k, c in enumerate(counts)}


def fit_split(
    cfg: DictConfig,
    data: WindowedData,
    out_dir: Path,
    *,
    augment: BatchAugment | None,
    distribution: tf.distribute.Strategy,
    logger,
    hooks: Sequence[EpochHook] = (),
    epochs: int | None = None,
    tag: str = "",
    step_offset: int = 0,
) -> Fitted:
    """Train `cfg.model` on `data.train`: the best epoch on val, or the last without val.

    Args:
        out_dir: where `best.keras` (and the VAE's quality report) go.
        epochs: how many epochs to run (default `trainer.epochs`); the learning-rate schedule
            always spans `trainer.epochs`.
        tag, step_offset: how this fit's epochs are named and counted in the logger.
    """
    trainer = cfg.trainer
    epochs = int(epochs or trainer.epochs)
    num_classes = len(data.class_names)
    synthetic, train_windows, augment_mask = _training_windows(cfg, data)
    # Seeded after the VAE, so a run is the same whether its VAE was trained or cached.
    keras.utils.set_random_seed(int(trainer.seed))
    steps = batches_per_epoch(train_windows, int(trainer.batch_size))
    model = compile_model(cfg, data, steps, distribution)
    train_ds = make_dataset(
        train_windows,
        data.normaliser,
        batch_size=int(trainer.batch_size),
        training=True,
        seed=int(trainer.seed),
        epochs=epochs,
        augment=augment,
        num_classes=num_classes,
        mixup_alpha=float(cfg.augment.mixup_alpha),
        augment_mask=augment_mask,
    )
    validate = len(data.val) > 0
    epoch_end = EpochEnd(
        data=data,
        val=make_dataset(data.val, data.normaliser, batch_size=256, training=False) if validate else None,
        checkpoint=RunFolder(out_dir).checkpoint,
        monitor=trainer.monitor,
        patience=int(trainer.patience),
        epochs=epochs,
        logger=logger,
        hooks=hooks,
        tag=tag,
        step_offset=step_offset,
    )
    synth_metrics = report_synthetic(synthetic, out_dir, logger)
    print(
        f"{tag}{cfg.data.name}: {len(data.train)} train (+{len(train_windows) - len(data.train)} synthetic) / "
        f"{len(data.val)} val / {len(data.test)} test windows; model {cfg.model.name}, "
        f"{model.count_params():,} parameters; {epochs} epochs -> {out_dir}",
        flush=True,
    )
    model.fit(
        train_ds,
        epochs=epochs,
        steps_per_epoch=steps,
        verbose=0,
        callbacks=[
            *([WeightAverage(float(trainer.ema_decay))] if trainer.weight_average == "ema" else []),
            epoch_end,
        ],
        class_weight=class_weight(train_windows.y, num_classes, trainer.class_weight),
    )
    return Fitted(
        epoch_end.checkpoint,
        epoch_end.history,
        epoch_end.best_epoch,
        int(model.count_params()),
        synth_metrics,
    )


def _training_windows(cfg: DictConfig, data: WindowedData):
    """(synthetic, train windows with any synthetic ones appended, the mask augmentation uses)."""
    synthetic = synthesise(cfg.synth, data, dataset=cfg.data.name)
    if synthetic is None:
        return None, data.train, None
    train_windows = data.train.concatenate(synthetic.windows)
    augment_mask = None if cfg.synth.augment else np.arange(len(train_windows)) < len(data.train)
    return synthetic, train_windows, augment_mask


def report_synthetic(synthetic: Synthetic | None, out_dir: Path, logger) -> dict[str, Any]:
    """Copy the VAE's quality report into the run folder and log it; the `synth/*` metrics."""
    if synthetic is None:
        return {"synth/windows": 0}
    metrics: dict[str, Any] = {
        "synth/windows": len(synthetic.windows),
        "synth/per_class": synthetic.counts,
        "synth/vae": synthetic.vae.path.name,
        "synth/vae_cache_hit": synthetic.vae.hit,
    }
    quality = synthetic.vae.quality
    if quality is not None:
        folder = RunFolder(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        write_json(folder.synth_quality, quality)
        write_bytes(folder.synth_quality_plot, (synthetic.vae.path / "quality.png").read_bytes())
        logger.log_image("synth/quality", folder.synth_quality_plot)
        metrics.update(headline(quality))
    logger.log_summary({k: v for k, v in metrics.items() if k != "synth/per_class"})
    return metrics


def evaluate(
    checkpoint: Path, data: WindowedData, splits: Sequence[str], out_dir: Path, logger, tag: str = ""
) -> dict[str, Any]:
    """Metrics of a checkpoint on `splits`, with confusion matrices (.npy, .png, W&B)."""
    model = load(checkpoint)
    folder = RunFolder(out_dir)
    metrics: dict[str, Any] = {}
    for split in splits:
        windows = data.split(split)
        probabilities = model.predict(
            make_dataset(windows, data.normaliser, batch_size=256, training=False), verbose=0
        )
        metrics.update(classification_metrics(split, windows.y, probabilities, data.class_names))
        matrix = confusion(windows.y, probabilities, len(data.class_names))
        atomic_write(folder.confusion(split, ".npy"), lambda p, m=matrix: np.save(p, m), suffix=".npy")
        image = plot_confusion(
            matrix,
            data.class_names,
            folder.confusion(split),
            f"{tag}{split}: macro-F1 {metrics[f'{split}/macro_f1']:.3f}",
        )
        logger.log_confusion(
            f"{tag}{split}", windows.y, probabilities.argmax(axis=1), data.class_names, image
        )
    return metrics
