"""What training does after every epoch: validate, report, checkpoint the best, stop early.

Epoch hooks let the sweep observe a run (and prune it by raising `RunPruned`) without this
package importing optuna.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path

import keras
import numpy as np

from har.data.dataset import WindowedData
from har.io import atomic_write, write_csv, write_text
from har.metrics import classification_metrics

# Called after every epoch with (epoch, metrics); may raise to stop the run (sweep pruning).
EpochHook = Callable[[int, dict[str, float]], None]


# Cross-entropy on clipped probabilities stays below -ln(1e-7) = 16.1 per window (times the
# class weight); a train loss past this bound means the weights blew up (too high a
# learning rate), even while it is still finite.
DIVERGED_LOSS = 1e3


class TrainingDiverged(RuntimeError):
    """The loss became NaN, infinite, or larger than a trainable model can produce."""


class RunPruned(Exception):
    """Raised by an epoch hook to stop a run early on purpose (sweep pruning).

    The run is logged as pruned and finished cleanly; the exception then propagates.
    """

    graceful = True

    def __init__(self, epoch: int) -> None:
        super().__init__(f"pruned at epoch {epoch}")
        self.epoch = epoch


UNFINISHED = "unfinished.txt"


class EpochEnd(keras.callbacks.Callback):
    """Validation metrics, progress line, best checkpoint, history.csv, early stopping, hooks.

    `history.csv` is rewritten after every epoch and `unfinished.txt` stays in the run folder
    until training ends, so a run killed mid-way keeps its curve and says it did not finish.
    """

    def __init__(
        self,
        *,
        data: WindowedData,
        val,
        checkpoint: Path,
        monitor: str,
        patience: int,
        epochs: int,
        logger,
        hooks: Sequence[EpochHook],
    ):
        super().__init__()
        self.data, self.val, self.checkpoint = data, val, checkpoint
        self.monitor, self.patience, self.epochs = monitor, patience, epochs
        self.logger, self.hooks = logger, hooks
        self.best, self.best_epoch, self.history = -np.inf, 0, []
        self.started = time.perf_counter()
        self.folder = checkpoint.parent

    def on_train_begin(self, logs: dict | None = None) -> None:
        self._unfinished(f"no epoch of {self.epochs} done yet")

    def on_train_end(self, logs: dict | None = None) -> None:
        (self.folder / UNFINISHED).unlink(missing_ok=True)

    def _unfinished(self, state: str) -> None:
        write_text(
            self.folder / UNFINISHED,
            f"This run has not finished: {state}. Unless a process is still training it, it stopped "
            "there.\nhistory.csv holds the epochs done and best.keras the best of them; there is no "
            "metrics.json and har-export refuses the run. This file is removed when training ends.\n",
        )

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        logs = logs or {}
        loss = float(logs["loss"])
        if not np.isfinite(loss) or loss > DIVERGED_LOSS:
            raise TrainingDiverged(
                f"train/loss is {loss:.4g} at epoch {epoch + 1} (diverged: NaN, inf or over "
                f"{DIVERGED_LOSS:g}); lower optimizer.learning_rate"
            )
        probabilities = self.model.predict(self.val, verbose=0)
        metrics = {"train/loss": loss, "train/accuracy": float(logs.get("accuracy", np.nan))}
        metrics["val/loss"] = float(
            keras.losses.categorical_crossentropy(
                np.eye(len(self.data.class_names))[self.data.val.y], probabilities
            )
            .numpy()
            .mean()
        )
        metrics.update(classification_metrics("val", self.data.val.y, probabilities, self.data.class_names))
        score = metrics[self.monitor]
        improved = score > self.best
        if improved:
            self.best, self.best_epoch = score, epoch + 1
            atomic_write(self.checkpoint, self.model.save, suffix=".keras")
        elapsed = time.perf_counter() - self.started
        print(
            f"epoch {epoch + 1:>3}/{self.epochs}  train/loss {loss:.4f}  train/accuracy {metrics['train/accuracy']:.4f}  "
            f"val/loss {metrics['val/loss']:.4f}  val/accuracy {metrics['val/accuracy']:.4f}  "
            f"val/macro_f1 {metrics['val/macro_f1']:.4f}{'  *' if improved else '   '}  {elapsed:.0f}s",
            flush=True,
        )
        self.history.append({"epoch": epoch + 1, **metrics})
        write_csv(self.folder / "history.csv", self.history)
        self._unfinished(f"epoch {epoch + 1} of {self.epochs} done")
        self.logger.log_epoch(epoch + 1, metrics)
        try:
            for hook in self.hooks:
                hook(epoch + 1, metrics)
        except RunPruned:
            self._unfinished(f"pruned by the sweep after epoch {epoch + 1} of {self.epochs}")
            raise
        if self.patience and epoch + 1 - self.best_epoch >= self.patience:
            self.model.stop_training = True
