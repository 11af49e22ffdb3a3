"""`train(cfg)`: one training run, from a composed config to metrics and files on disk.

Everything a run writes lands in `cfg.paths.output_dir`: the best checkpoint (on
`val/macro_f1`), `metrics.json`, the resolved `config.yaml`, `data.json` (classes, window,
normaliser: what export needs), `history.csv` and confusion matrices, plus the VAE's quality
report when synthetic windows join training. The test split is evaluated once, from the best
checkpoint. What happens after each epoch is in `har.callbacks`; where training runs (threads,
distribution strategy) in `har.devices`.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hydra
import keras
import numpy as np
import tensorflow as tf
from omegaconf import DictConfig, OmegaConf

from har.augment import build_pipeline
from har.callbacks import EpochEnd, EpochHook, RunPruned
from har.cli_errors import exit_on_user_error
from har.config import CONF_DIR, ConfigError, check_experiment, instantiate, to_container
from har.data.dataset import WindowedData, load_windows
from har.data.pipeline import make_dataset
from har.devices import set_threads, strategy
from har.io import atomic_write, write_bytes, write_csv, write_json, write_text
from har.metrics import MACRO_F1_SCOPE, classification_metrics, confusion, plot_confusion
from har.synth import Synthetic, synthesise
from har.synth.quality import headline


@dataclass
class TrainResult:
    metrics: dict[str, Any]
    run_dir: Path
    checkpoint: Path
    paths: dict[str, Path] = field(default_factory=dict)
    wandb_run_id: str | None = None


def _check_trainer(trainer: DictConfig) -> None:
    positive = ("epochs", "batch_size")
    for key in positive:
        if not isinstance(trainer[key], int) or trainer[key] <= 0:
            raise ConfigError(f"trainer.{key}={trainer[key]}: expected a positive integer")
    if trainer.patience < 0:
        raise ConfigError(f"trainer.patience={trainer.patience}: expected >= 0")
    if not 0 <= trainer.label_smoothing < 1:
        raise ConfigError(f"trainer.label_smoothing={trainer.label_smoothing}: expected a value in [0, 1)")
    choices = {
        "class_weight": ("none", "balanced"),
        "strategy": ("default", "mirrored"),
        "monitor": ("val/macro_f1", "val/accuracy"),
    }
    for key, allowed in choices.items():
        if trainer[key] not in allowed:
            raise ConfigError(f"trainer.{key}={trainer[key]!r}: expected one of {', '.join(allowed)}")


def build_model(cfg: DictConfig, input_shape: tuple[int, int], num_classes: int) -> keras.Model:
    """The model of `cfg.model`; a bad parameter is a ConfigError naming `model.build`."""
    builder = instantiate(cfg.model.build, "model.build")
    try:
        return builder(input_shape, num_classes)
    except (ValueError, TypeError) as error:
        raise ConfigError(f"model={cfg.model.name}: model.build.{error}") from None


def _build_optimizer(cfg: DictConfig, steps_per_epoch: int) -> keras.optimizers.Optimizer:
    make = instantiate(cfg.optimizer, "optimizer")
    try:
        return make(steps_per_epoch=steps_per_epoch, epochs=int(cfg.trainer.epochs))
    except (ValueError, TypeError) as error:
        raise ConfigError(f"optimizer.{error}") from None


def _class_weight(y: np.ndarray, num_classes: int, mode: str) -> dict[int, float] | None:
    if mode == "none":
        return None
    counts = np.bincount(y, minlength=num_classes)
    return {k: float(len(y) / (num_classes * max(c, 1))) for k, c in enumerate(counts)}


def train(cfg: DictConfig, *, epoch_hooks: Sequence[EpochHook] = ()) -> TrainResult:
    """Train, checkpoint the best epoch, evaluate val and test from it, write and log results.

    Args:
        cfg: a composed `train.yaml`.
        epoch_hooks: called after every epoch with (epoch, metrics); may raise to stop.

    Returns:
        The metrics (`train/*`, `val/*`, `test/*`, `model/params`, ...) and written paths.

    Raises:
        ConfigError, DataError: bad config or input, before any training.
        har.callbacks.TrainingDiverged: NaN, infinite or exploding loss.
    """
    started = time.perf_counter()
    check_experiment(cfg, "har-train")
    run_dir = Path(cfg.paths.output_dir)
    trainer = cfg.trainer
    _check_trainer(trainer)
    if trainer.threads:
        set_threads(int(trainer.threads))
    distribution = strategy(trainer.strategy, int(trainer.logical_cpus))
    if trainer.deterministic:
        tf.config.experimental.enable_op_determinism()
    augment = build_pipeline(cfg.augment, cfg.data.channels)
    data = load_windows(cfg.data)
    num_classes = len(data.class_names)
    synthetic = synthesise(cfg.synth, data, dataset=cfg.data.name)
    train_windows, augment_mask = data.train, None
    if synthetic is not None:
        train_windows = data.train.concatenate(synthetic.windows)
        real = np.zeros(len(train_windows), dtype=bool)
        real[: len(data.train)] = True
        augment_mask = None if cfg.synth.augment else real
    # Seeded after the VAE, so a run is the same whether its VAE was trained or cached.
    keras.utils.set_random_seed(int(trainer.seed))
    policy = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy("mixed_float16" if trainer.mixed_precision else "float32")
    try:
        with distribution.scope():
            model = build_model(cfg, data.input_shape, num_classes)
            steps = int(np.ceil(len(train_windows) / trainer.batch_size))
            optimizer = _build_optimizer(cfg, steps)
            model.compile(
                optimizer=optimizer,
                loss=keras.losses.CategoricalCrossentropy(label_smoothing=float(trainer.label_smoothing)),
                metrics=["accuracy"],
            )
    finally:
        keras.mixed_precision.set_global_policy(policy)
    logger = instantiate(cfg.logger, "logger")  # every part of the config is checked before a write
    run_dir.mkdir(parents=True, exist_ok=True)
    config = to_container(cfg)
    write_text(run_dir / "config.yaml", OmegaConf.to_yaml(config))
    write_json(
        run_dir / "data.json",
        {**data.summary(), "normaliser": data.normaliser.to_dict(), "dataset": cfg.data.name},
    )
    seed = int(trainer.seed)
    train_ds = make_dataset(
        train_windows,
        data.normaliser,
        batch_size=trainer.batch_size,
        training=True,
        seed=seed,
        augment=augment,
        num_classes=num_classes,
        mixup_alpha=float(cfg.augment.mixup_alpha),
        augment_mask=augment_mask,
    )
    val_ds = make_dataset(data.val, data.normaliser, batch_size=256, training=False)
    checkpoint = run_dir / "best.keras"
    with logger.start(run_dir=run_dir, name=run_dir.name, config=config):
        synth_metrics = _report_synthetic(synthetic, run_dir, logger)
        print(
            f"{cfg.data.name}: {len(data.train)} train (+{len(train_windows) - len(data.train)} synthetic) / "
            f"{len(data.val)} val / {len(data.test)} test windows; "
            f"model {cfg.model.name}, {model.count_params():,} parameters; run {run_dir}",
            flush=True,
        )
        epoch_end = EpochEnd(
            data=data,
            val=val_ds,
            checkpoint=checkpoint,
            monitor=trainer.monitor,
            patience=int(trainer.patience),
            epochs=int(trainer.epochs),
            logger=logger,
            hooks=epoch_hooks,
        )
        warnings.filterwarnings("ignore", message=".*`shuffle=True` was passed.*")  # ours is tf.data
        try:
            model.fit(
                train_ds,
                epochs=int(trainer.epochs),
                verbose=0,
                callbacks=[epoch_end],
                class_weight=_class_weight(train_windows.y, num_classes, trainer.class_weight),
            )
        except RunPruned as pruned:
            logger.log_summary(
                {"pruned": True, "pruned_at_epoch": pruned.epoch, "best/val/macro_f1": epoch_end.best}
            )
            print(f"pruned at epoch {pruned.epoch} (best {trainer.monitor} {epoch_end.best:.4f})", flush=True)
            raise
        metrics = _evaluate_best(checkpoint, data, run_dir, logger, epoch_end)
        metrics.update(
            {
                "model/params": int(model.count_params()),
                "epochs_trained": len(epoch_end.history),
                "best_epoch": epoch_end.best_epoch,
                "seed": seed,
                "seconds": round(time.perf_counter() - started, 2),
                "subjects": data.subjects,
                "macro_f1_scope": MACRO_F1_SCOPE,
                **synth_metrics,
            }
        )
        write_json(run_dir / "metrics.json", metrics)
        write_csv(run_dir / "history.csv", epoch_end.history)
        logger.log_summary({k: v for k, v in metrics.items() if k != "subjects"})
        logger.log_artifact(
            checkpoint,
            name=f"model-{run_dir.name}",
            type="model",
            metadata={"test/macro_f1": metrics["test/macro_f1"]},
        )
    print(
        f"test/accuracy {metrics['test/accuracy']:.4f}  test/macro_f1 {metrics['test/macro_f1']:.4f}  "
        f"(best epoch {epoch_end.best_epoch}, {metrics['seconds']:.0f}s)  -> {run_dir}",
        flush=True,
    )
    paths = {
        name: run_dir / name
        for name in (
            "best.keras",
            "metrics.json",
            "config.yaml",
            "data.json",
            "history.csv",
            "confusion_test.png",
        )
    }
    return TrainResult(metrics, run_dir, checkpoint, paths, getattr(logger, "run_id", None))


def _report_synthetic(synthetic: Synthetic | None, run_dir: Path, logger) -> dict[str, Any]:
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
        write_json(run_dir / "synth_quality.json", quality)
        write_bytes(run_dir / "synth_quality.png", (synthetic.vae.path / "quality.png").read_bytes())
        logger.log_image("synth/quality", run_dir / "synth_quality.png")
        metrics.update(headline(quality))
    logger.log_summary({k: v for k, v in metrics.items() if k != "synth/per_class"})
    return metrics


def _evaluate_best(
    checkpoint: Path, data: WindowedData, run_dir: Path, logger, epoch_end: EpochEnd
) -> dict[str, Any]:
    """Val and test metrics of the best checkpoint (the only time test is looked at)."""
    model = keras.models.load_model(checkpoint)
    best_row = epoch_end.history[epoch_end.best_epoch - 1]
    metrics: dict[str, Any] = {k: v for k, v in best_row.items() if k.startswith("train/")}
    for split in ("val", "test"):
        windows = data.split(split)
        probabilities = model.predict(
            make_dataset(windows, data.normaliser, batch_size=256, training=False), verbose=0
        )
        metrics.update(classification_metrics(split, windows.y, probabilities, data.class_names))
        matrix = confusion(windows.y, probabilities, len(data.class_names))
        atomic_write(run_dir / f"confusion_{split}.npy", lambda p, m=matrix: np.save(p, m), suffix=".npy")
        image = plot_confusion(
            matrix,
            data.class_names,
            run_dir / f"confusion_{split}.png",
            f"{split}: macro-F1 {metrics[f'{split}/macro_f1']:.3f}",
        )
        logger.log_confusion(split, windows.y, probabilities.argmax(axis=1), data.class_names, image)
    return metrics


@hydra.main(config_path=str(CONF_DIR), config_name="train", version_base="1.3")
@exit_on_user_error
def main(cfg: DictConfig) -> float:
    return train(cfg).metrics["test/macro_f1"]


if __name__ == "__main__":
    main()
