"""Ridge or a trained softmax head on har's MiniRocket features? Measured on validation only.

The issue asks for a linear head trained by har's trainer, or closed-form ridge if that is
better. This fits aeon's head (StandardScaler without centring, RidgeClassifierCV over
alphas 1e-3..1e3, as `MiniRocketClassifier`) on har's transform of the training windows and
scores it on the validation windows, to set beside `har-train model=minirocket`'s
`val/macro_f1` on the same split. Usage: python experiments/model_families/head.py [data=hapt ...]
"""

from __future__ import annotations

import sys
import time

import keras
import numpy as np
from sklearn.linear_model import RidgeClassifierCV
from sklearn.metrics import f1_score
from sklearn.preprocessing import StandardScaler

from har.config import compose
from har.data import load_windows
from har.training.fit import build_model


def features(transform: keras.Model, X: np.ndarray) -> np.ndarray:
    return np.concatenate(
        [transform.predict(part, verbose=0) for part in np.array_split(X, -(-len(X) // 256))]
    )


def main(overrides: list[str]) -> None:
    cfg = compose("train", ["model=minirocket", "paths.output_dir=unused", "paths.root=outputs", *overrides])
    data = load_windows(cfg.data)
    model = build_model(cfg, data)
    transform = keras.Model(model.input, model.get_layer("minirocket").output)
    started = time.perf_counter()
    train = features(transform, data.normaliser(data.train.X))
    val = features(transform, data.normaliser(data.val.X))
    scaler = StandardScaler(with_mean=False).fit(train)
    ridge = RidgeClassifierCV(alphas=np.logspace(-3, 3, 10)).fit(scaler.transform(train), data.train.y)
    predicted = ridge.predict(scaler.transform(val))
    print(
        f"{cfg.data.name}: ridge on har's minirocket features (alpha {ridge.alpha_:.3g}): "
        f"val/macro_f1 {f1_score(data.val.y, predicted, average='macro'):.4f}, "
        f"val/accuracy {np.mean(predicted == data.val.y):.4f} ({time.perf_counter() - started:.0f} s)"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
