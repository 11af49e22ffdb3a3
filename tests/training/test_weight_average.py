"""trainer.weight_average=ema: the average it keeps, where it is swapped in, and repeatability."""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest

from har.training.callbacks import WeightAverage


class Recorder(keras.callbacks.Callback):
    """The raw weights after every training step, and the weights each epoch ends with."""

    def __init__(self):
        super().__init__()
        self.steps, self.epoch_ends, self.epoch_starts = [], [], []

    def on_train_batch_end(self, batch, logs=None):
        self.steps.append([w.numpy().copy() for w in self.model.weights])

    def on_epoch_end(self, epoch, logs=None):  # runs after WeightAverage: sees what validation sees
        self.epoch_ends.append([w.numpy().copy() for w in self.model.weights])

    def on_epoch_begin(self, epoch, logs=None):  # runs after WeightAverage restored the raw weights
        self.epoch_starts.append([w.numpy().copy() for w in self.model.weights])


def test_the_moving_average_replaces_the_weights_at_epoch_end_and_the_raw_ones_come_back():
    keras.utils.set_random_seed(0)
    inputs = keras.Input((8,))
    x = keras.layers.Dense(16)(inputs)
    x = keras.layers.BatchNormalization()(x)  # moving statistics are averaged too
    model = keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(x))
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="sparse_categorical_crossentropy")
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(64, 8)).astype(np.float32), rng.integers(0, 3, 64)
    initial = [w.numpy().copy() for w in model.weights]
    recorder = Recorder()
    model.fit(
        X, y, batch_size=8, epochs=2, shuffle=False, verbose=0, callbacks=[WeightAverage(0.9), recorder]
    )

    expected = [w.astype(np.float64) for w in initial]
    for step, weights in enumerate(recorder.steps, start=1):
        decay = min(0.9, (1 + step) / (10 + step))
        expected = [decay * e + (1 - decay) * w for e, w in zip(expected, weights)]
        if step == 8:  # end of epoch 1: the model holds the average, not its last raw weights
            for got, want, raw in zip(recorder.epoch_ends[0], expected, weights):
                np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
                assert not np.allclose(got, raw)
            epoch_one_raw = weights
    for got, want in zip(recorder.epoch_starts[1], epoch_one_raw):  # training goes on from the raw weights
        np.testing.assert_array_equal(got, want)
    for got, want in zip(model.get_weights(), expected):  # and the run ends on the average
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_a_bad_decay_names_the_key(compose_train):
    from har.config import ConfigError
    from har.training.fit import check_trainer

    with pytest.raises(ConfigError, match=r"trainer.ema_decay=1.5: expected a value in \(0, 1\)"):
        check_trainer(compose_train("trainer.weight_average=ema", "trainer.ema_decay=1.5").trainer)


@pytest.mark.slow
def test_a_seeded_run_with_weight_averaging_repeats_and_differs_from_one_without(compose_train, tmp_path):
    from har.training.run import train

    tiny = (
        "data.train_fraction=0.2",
        "trainer.epochs=2",
        "model.build.width=8",
        "logger=none",
        "baseline=none",
    )

    def run(name, *overrides):
        cfg = compose_train(*tiny, *overrides, f"paths.output_dir={tmp_path / name}")
        train(cfg)
        return json.loads((tmp_path / name / "metrics.json").read_text()), keras.models.load_model(
            tmp_path / name / "best.keras"
        ).get_weights()

    first, first_weights = run("a", "trainer.weight_average=ema")
    second, second_weights = run("b", "trainer.weight_average=ema")
    plain, plain_weights = run("c")
    assert (
        first["val/macro_f1"] == second["val/macro_f1"] and first["test/macro_f1"] == second["test/macro_f1"]
    )
    for a, b in zip(first_weights, second_weights):
        np.testing.assert_array_equal(a, b)
    assert any(not np.allclose(a, c) for a, c in zip(first_weights, plain_weights))
