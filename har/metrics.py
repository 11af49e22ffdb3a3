"""Classification metrics named `split/metric`, and the confusion-matrix plot."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score

from har.io import atomic_write

# The metric names the code compares, monitors or reads back, spelled once (`split/metric`).
VAL_ACCURACY = "val/accuracy"
VAL_MACRO_F1 = "val/macro_f1"
TEST_ACCURACY = "test/accuracy"
TEST_MACRO_F1 = "test/macro_f1"


def baseline_of(name: str) -> str:
    """The forest baseline's figure beside the model's `name`: `baseline/<name>`."""
    return f"baseline/{name}"


def fold_models_of(name: str) -> str:
    """`folds/<name>`: the mean over a cross-validated run's fold models (for reading, not choosing)."""
    return f"folds/{name}"


def cv_std_of(name: str) -> str:
    """`cv/<name>_std`: the standard deviation of `name` over the folds."""
    return f"cv/{name}_std"


# What metrics.json says about macro-F1: a class absent from a small split's truth would
# otherwise count as F1 = 0 and pull the mean down for a reason that is not the model's.
MACRO_F1_SCOPE = (
    "split/macro_f1 averages F1 over the classes present in that split's truth (split/classes_scored "
    "of them); split/f1/<class> lists every class, 0 for a class the split does not have"
)


def classification_metrics(
    split: str, y_true: np.ndarray, probabilities: np.ndarray, class_names: list[str]
) -> dict[str, float]:
    """`split/accuracy`, `split/macro_f1` (over the classes present in `y_true`),
    `split/classes_scored` and `split/f1/<class>` (every class) for argmax predictions."""
    predicted = probabilities.argmax(axis=1)
    labels = list(range(len(class_names)))
    present = sorted(set(np.asarray(y_true).tolist())) or labels
    per_class = f1_score(y_true, predicted, labels=labels, average=None, zero_division=0)
    metrics = {
        f"{split}/accuracy": float(accuracy_score(y_true, predicted)),
        f"{split}/macro_f1": float(np.mean(per_class[present])),
        f"{split}/classes_scored": len(present),
    }
    metrics.update({f"{split}/f1/{name}": float(value) for name, value in zip(class_names, per_class)})
    return metrics


def confusion(y_true: np.ndarray, probabilities: np.ndarray, num_classes: int) -> np.ndarray:
    """(K, K) counts, rows true, columns predicted."""
    return confusion_matrix(y_true, probabilities.argmax(axis=1), labels=list(range(num_classes)))


def plot_confusion(matrix: np.ndarray, class_names: list[str], path: Path, title: str) -> Path:
    """Row-normalised heat map with counts, written atomically as PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rates = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    size = max(4.0, 0.6 * len(class_names) + 2)
    figure, axis = plt.subplots(figsize=(size + 1, size))
    image = axis.imshow(rates, cmap="Blues", vmin=0, vmax=1)
    axis.set_xticks(range(len(class_names)), class_names, rotation=45, ha="right")
    axis.set_yticks(range(len(class_names)), class_names)
    axis.set_xlabel("predicted")
    axis.set_ylabel("true")
    axis.set_title(title)
    for (row, column), count in np.ndenumerate(matrix):
        axis.text(
            column,
            row,
            str(count),
            ha="center",
            va="center",
            color="white" if rates[row, column] > 0.5 else "black",
            fontsize=8,
        )
    figure.colorbar(image, ax=axis, fraction=0.046)
    figure.tight_layout()
    atomic_write(path, lambda p: figure.savefig(p, dpi=120, format="png"), suffix=".png")
    plt.close(figure)
    return path
