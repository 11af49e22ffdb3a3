"""Is the VAE any good? Measured on normalised windows, never assumed.

- TSTR / TRTR: one small reference classifier (`synth.quality.reference`, a model builder)
  trained on synthetic windows only (TSTR) and the same network trained on the real train
  windows (TRTR), both scored on the real validation windows. TSTR / TRTR near 1 means the synthetic windows carry the class information.
- Discriminative score: |accuracy - 0.5| of the same classifier telling real train windows from
  synthetic ones, on held-out windows (0: indistinguishable, 0.5: trivially told apart).
- Per class and channel: |mean difference|, |std difference| and the spectral distance (total
  variation between the normalised mean power spectra, 0 identical, 1 disjoint).
- A plot of real next to synthetic windows for every class.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import keras
import numpy as np

from har.data import DEFAULT_CHANNELS
from har.io import atomic_write
from har.metrics import classification_metrics

# (input_shape, num_classes) -> an uncompiled keras.Model with a softmax output
Builder = Callable[[tuple[int, int], int], keras.Model]


def _reference_scores(
    X_train: np.ndarray,
    y_train: np.ndarray,
    X_test: np.ndarray,
    y_test: np.ndarray,
    class_names: list[str],
    *,
    reference: Builder,
    epochs: int,
    seed: int,
) -> dict[str, float]:
    """Accuracy and macro-F1 on the test windows of the reference classifier."""
    keras.utils.set_random_seed(seed)
    model = reference(X_train.shape[1:], len(class_names))
    model.compile(optimizer=keras.optimizers.Adam(2e-3), loss="sparse_categorical_crossentropy")
    model.fit(X_train, y_train, epochs=epochs, batch_size=64, shuffle=True, verbose=0)
    # called eagerly: `predict` would retrace for every new reference model, and warn
    probabilities = np.concatenate([model(X_test[i : i + 512]).numpy() for i in range(0, len(X_test), 512)])
    scores = classification_metrics("q", y_test, probabilities, class_names)
    return {"accuracy": scores["q/accuracy"], "macro_f1": scores["q/macro_f1"]}


def _power_spectra(X: np.ndarray) -> np.ndarray:
    """Mean power spectrum per channel, normalised to sum 1: (F, C)."""
    power = np.abs(np.fft.rfft(X - X.mean(axis=1, keepdims=True), axis=1)) ** 2  # (N, F, C)
    mean = power.mean(axis=0)
    return mean / np.maximum(mean.sum(axis=0, keepdims=True), 1e-12)


def channel_statistics(
    real: np.ndarray,
    real_y: np.ndarray,
    synthetic: np.ndarray,
    synthetic_y: np.ndarray,
    class_names: list[str],
    channels: Sequence[str] = DEFAULT_CHANNELS,
) -> list[dict[str, Any]]:
    """One row per (class, channel) present in both sets; `channels` names the last axis."""
    rows = []
    for label, name in enumerate(class_names):
        a, b = real[real_y == label], synthetic[synthetic_y == label]
        if not len(a) or not len(b):
            continue
        spectral = 0.5 * np.abs(_power_spectra(a) - _power_spectra(b)).sum(axis=0)  # (C,)
        for channel, channel_name in enumerate(channels):
            rows.append(
                {
                    "class": name,
                    "channel": channel_name,
                    "mean_diff": float(abs(a[..., channel].mean() - b[..., channel].mean())),
                    "std_diff": float(abs(a[..., channel].std() - b[..., channel].std())),
                    "spectral_distance": float(spectral[channel]),
                }
            )
    return rows


def quality_report(
    *,
    real_train: np.ndarray,
    real_train_y: np.ndarray,
    real_val: np.ndarray,
    real_val_y: np.ndarray,
    synthetic: np.ndarray,
    synthetic_y: np.ndarray,
    discriminator_synthetic: np.ndarray,
    class_names: list[str],
    reference: Builder,
    epochs: int,
    seed: int,
    channels: Sequence[str] = DEFAULT_CHANNELS,
) -> dict[str, Any]:
    """TSTR, TRTR, discriminative score and channel statistics (see the module docstring).

    Args:
        real_train, real_val: normalised real windows (N, T, C) and their labels.
        synthetic: normalised synthetic windows drawn with the train label distribution.
        discriminator_synthetic: as many fresh synthetic windows as `real_train`, for the
            real-vs-synthetic classifier.
        reference: builds the reference classifier (a fresh one for each score).
        epochs: training epochs of each reference classifier.
        channels: the channel names (`data.channels`), for the per-channel statistics.
    """
    scores = {"reference": reference, "epochs": epochs, "seed": seed}
    tstr = _reference_scores(synthetic, synthetic_y, real_val, real_val_y, class_names, **scores)
    trtr = _reference_scores(real_train, real_train_y, real_val, real_val_y, class_names, **scores)

    # Real (0) vs synthetic (1), split 70/30 with a seeded permutation.
    X = np.concatenate([real_train, discriminator_synthetic])
    y = np.concatenate([np.zeros(len(real_train), np.int64), np.ones(len(discriminator_synthetic), np.int64)])
    order = np.random.default_rng(seed).permutation(len(X))
    cut = int(0.7 * len(X))
    fit_index, held_out = order[:cut], order[cut:]
    told_apart = _reference_scores(
        X[fit_index], y[fit_index], X[held_out], y[held_out], ["real", "synthetic"], **scores
    )
    rows = channel_statistics(real_train, real_train_y, synthetic, synthetic_y, class_names, channels)
    return {
        "tstr": tstr,
        "trtr": trtr,
        "tstr_trtr_ratio": tstr["macro_f1"] / trtr["macro_f1"] if trtr["macro_f1"] else float("nan"),
        "discriminator_accuracy": told_apart["accuracy"],
        "discriminative_score": abs(told_apart["accuracy"] - 0.5),
        "mean_diff": float(np.mean([r["mean_diff"] for r in rows])),
        "std_diff": float(np.mean([r["std_diff"] for r in rows])),
        "spectral_distance": float(np.mean([r["spectral_distance"] for r in rows])),
        "per_class_channel": rows,
        "windows": {"real_train": len(real_train), "real_val": len(real_val), "synthetic": len(synthetic)},
        "reference_epochs": epochs,
        "seed": seed,
    }


def headline(report: dict[str, Any]) -> dict[str, float]:
    """The report's figures as `synth/*` metrics (run summaries, W&B)."""
    return {
        "synth/tstr_macro_f1": report["tstr"]["macro_f1"],
        "synth/trtr_macro_f1": report["trtr"]["macro_f1"],
        "synth/tstr_trtr_ratio": report["tstr_trtr_ratio"],
        "synth/discriminative_score": report["discriminative_score"],
        "synth/mean_diff": report["mean_diff"],
        "synth/std_diff": report["std_diff"],
        "synth/spectral_distance": report["spectral_distance"],
    }


def format_report(report: dict[str, Any]) -> str:
    """The headline figures in a few lines (what `har-synth` prints)."""
    return "\n".join(
        [
            f"TSTR macro-F1 {report['tstr']['macro_f1']:.3f} (synthetic -> real val)   "
            f"TRTR macro-F1 {report['trtr']['macro_f1']:.3f} (real -> real val)   "
            f"ratio {report['tstr_trtr_ratio']:.3f}",
            f"discriminative score {report['discriminative_score']:.3f} "
            f"(real-vs-synthetic accuracy {report['discriminator_accuracy']:.3f}; 0 = indistinguishable)",
            f"per class and channel (normalised units): |mean diff| {report['mean_diff']:.3f}  "
            f"|std diff| {report['std_diff']:.3f}  spectral distance {report['spectral_distance']:.3f}",
        ]
    )


def plot_examples(
    real: np.ndarray,
    real_y: np.ndarray,
    synthetic: np.ndarray,
    synthetic_y: np.ndarray,
    class_names: list[str],
    path: Path,
    *,
    seed: int = 0,
    channels: Sequence[str] = DEFAULT_CHANNELS,
) -> Path:
    """Rows = classes; columns = a real and a synthetic window, every channel."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rng = np.random.default_rng(seed)
    figure, axes = plt.subplots(
        len(class_names), 2, figsize=(10, 1.6 * len(class_names) + 0.6), sharex=True, squeeze=False
    )
    for label, name in enumerate(class_names):
        for column, (windows, labels, kind) in enumerate(
            ((real, real_y, "real"), (synthetic, synthetic_y, "synthetic"))
        ):
            axis = axes[label, column]
            candidates = np.flatnonzero(labels == label)
            if len(candidates):
                window = windows[rng.choice(candidates)]
                for channel, channel_name in enumerate(channels):
                    axis.plot(window[:, channel], linewidth=0.8, label=channel_name)
            axis.set_title(f"{name}: {kind}", fontsize=8)
            axis.tick_params(labelsize=7)
    axes[0, 1].legend(fontsize=6, ncol=min(len(channels), 6), loc="upper right")
    figure.supxlabel("sample")
    figure.supylabel("normalised value")
    figure.tight_layout()

    def save(temporary: Path) -> None:
        figure.savefig(temporary, dpi=90, format="png")

    atomic_write(path, save, suffix=".png")
    plt.close(figure)
    return path
