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

from har.data import WindowedData
from har.io import atomic_write, write_text
from har.metrics import VAL_ACCURACY, VAL_MACRO_F1, classification_metrics
from har.training.run_folder import RunFolder

# Called after every epoch with (epoch, metrics); may raise to stop the run (sweep pruning).
EpochHook = Callable[[int, dict[str, float]], None]


# Cross-entropy on clipped probabilities stays below -ln(1e-7) = 16.1 per window (times the
# class weight); a train loss past this bound means the weights blew up (too high a
# learning rate), even while it is still finite.
DIVERGED_LOSS = 1e3


class TrainingDiverged(RuntimeError):
    """The loss became NaN, infinite, or larger than a trainable model can produce."""


class RunPruned(Exception):
    """Raised by an epoch or fold hook to stop a run early on purpose (sweep pruning).

    The run is logged as pruned and finished cleanly; the exception then propagates.

    Attributes:
        step: the epoch (holdout) or the fold (cross-validation) the run was stopped after.
        unit: "epoch" or "fold".
        recorded: what the pruner saw last (e.g. {"val/macro_f1": 0.41}), the value the study
            records for the trial; the run's W&B summary carries it too.
    """

    graceful = True

    def __init__(self, step: int, unit: str = "epoch", recorded: dict[str, float] | None = None) -> None:
        super().__init__(f"pruned after {unit} {step}")
        self.step, self.unit, self.recorded = step, unit, dict(recorded or {})


class EpochEnd(keras.callbacks.Callback):
    """Validation metrics, progress line, best checkpoint, history.csv, early stopping, hooks.

    Without validation windows (a refit), every epoch is checkpointed: the last one is the model.
    `history.csv` is rewritten after every epoch and `unfinished.txt` stays in the fit's folder
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
        tag: str = "",
        step_offset: int = 0,
    ):
        """
        Args:
            val: the val split's batches, or None to train without validation.
            tag: a prefix of the logged metric names and of the progress line (`fold-1/`).
            step_offset: logger steps already used by earlier fits of the same run.
        """
        super().__init__()
        self.data, self.val, self.checkpoint = data, val, checkpoint
        self.monitor, self.patience, self.epochs = monitor, patience, epochs
        self.logger, self.hooks, self.tag, self.step_offset = logger, hooks, tag, step_offset
        self.best, self.best_epoch, self.history = -np.inf, 0, []
        self.started = time.perf_counter()
        self.folder = RunFolder(checkpoint.parent)

    def on_train_begin(self, logs: dict | None = None) -> None:
        self._unfinished(f"no epoch of {self.epochs} done yet")

    def on_train_end(self, logs: dict | None = None) -> None:
        self.folder.unfinished.unlink(missing_ok=True)

    def _unfinished(self, state: str) -> None:
        write_text(
            self.folder.unfinished,
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
        metrics = {"train/loss": loss, "train/accuracy": float(logs.get("accuracy", np.nan))}
        if self.val is not None:
            metrics.update(self._validate())
        improved = self.val is None or metrics[self.monitor] > self.best
        if improved:
            self.best, self.best_epoch = metrics.get(self.monitor, np.nan), epoch + 1
            atomic_write(self.checkpoint, self.model.save, suffix=".keras")
        self._progress(epoch + 1, metrics, improved)
        self.history.append({"epoch": epoch + 1, **metrics})
        self.folder.write_history(self.history)
        self._unfinished(f"epoch {epoch + 1} of {self.epochs} done")
        self.logger.log_epoch(
            epoch + 1, {f"{self.tag}{k}": v for k, v in metrics.items()}, step=self.step_offset + epoch + 1
        )
        try:
            for hook in self.hooks:
                hook(epoch + 1, metrics)
        except RunPruned:
            self._unfinished(f"pruned by the sweep after epoch {epoch + 1} of {self.epochs}")
            raise
        if self.val is not None and self.patience and epoch + 1 - self.best_epoch >= self.patience:
            self.model.stop_training = True

    def _validate(self) -> dict[str, float]:
        probabilities = self.model.predict(self.val, verbose=0)
        val_y = self.data.val.y
        loss = keras.losses.categorical_crossentropy(np.eye(len(self.data.class_names))[val_y], probabilities)
        return {
            "val/loss": float(loss.numpy().mean()),
            **classification_metrics("val", val_y, probabilities, self.data.class_names),
        }

    def _progress(self, epoch: int, metrics: dict[str, float], improved: bool) -> None:
        line = f"{self.tag}epoch {epoch:>3}/{self.epochs}  train/loss {metrics['train/loss']:.4f}  train/accuracy {metrics['train/accuracy']:.4f}"
        if self.val is not None:
            line += (
                f"  val/loss {metrics['val/loss']:.4f}  val/accuracy {metrics[VAL_ACCURACY]:.4f}  "
                f"val/macro_f1 {metrics[VAL_MACRO_F1]:.4f}{'  *' if improved else '   '}"
            )
        print(f"{line}  {time.perf_counter() - self.started:.0f}s", flush=True)


class WeightAverage(keras.callbacks.Callback):
    """An exponential moving average of the weights, swapped in at every epoch's end.

    After every training step the average moves towards the current weights (every float
    weight, batch-norm statistics included) with `decay`, ramped up from 0 early on as
    min(decay, (1 + n) / (10 + n)) so the first steps do not freeze it at the initial weights.
    At the end of each epoch the average replaces the weights, so the validation, the
    checkpoint (and a refit's last epoch) see the averaged model; the raw weights come back
    before the next epoch trains. Put it before `EpochEnd` in the callback list.
    """

    def __init__(self, decay: float) -> None:
        super().__init__()
        if not 0 < decay < 1:
            raise ValueError(f"trainer.ema_decay={decay}: expected a value in (0, 1)")
        self.decay = decay
        self.swapped = False

    def on_train_begin(self, logs: dict | None = None) -> None:
        import tensorflow as tf

        self.tracked = [w for w in self.model.weights if "float" in str(w.dtype)]
        self.average = [tf.Variable(w.value, trainable=False) for w in self.tracked]
        self.raw = [tf.Variable(w.value, trainable=False) for w in self.tracked]
        self.updates = tf.Variable(0.0, trainable=False)

        @tf.function
        def update() -> None:
            self.updates.assign_add(1.0)
            decay = tf.minimum(self.decay, (1.0 + self.updates) / (10.0 + self.updates))
            for average, weight in zip(self.average, self.tracked):
                average.assign(decay * average + (1.0 - decay) * weight.value)

        self.update = update

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None:
        self.update()

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        for raw, average, weight in zip(self.raw, self.average, self.tracked):
            raw.assign(weight.value)
            weight.assign(average)
        self.swapped = True

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        if self.swapped:
            for raw, weight in zip(self.raw, self.tracked):
                weight.assign(raw)
            self.swapped = False
