"""How many synthetic windows per class a ratio asks for."""

from __future__ import annotations

import numpy as np
import pytest

from har.config import ConfigError
from har.synth.sampling import class_counts, labels_for

Y = np.array([0] * 50 + [1] * 30 + [2] * 20)


@pytest.mark.parametrize("ratio", [0.0, 0.25, 0.5, 1.0, 2.0, 0.33])
@pytest.mark.parametrize("balance", ["balanced", "proportional"])
def test_counts_add_up_to_ratio_times_train(ratio, balance):
    counts = class_counts(Y, 3, ratio, balance)
    assert counts.sum() == round(ratio * len(Y))
    assert (counts >= 0).all()


def test_balanced_gives_every_class_the_same_share():
    np.testing.assert_array_equal(class_counts(Y, 3, 0.5, "balanced"), [17, 17, 16])
    np.testing.assert_array_equal(class_counts(Y, 3, 1.0, "balanced"), [34, 33, 33])


def test_proportional_follows_the_train_labels():
    np.testing.assert_array_equal(class_counts(Y, 3, 1.0, "proportional"), [50, 30, 20])
    np.testing.assert_array_equal(class_counts(Y, 3, 0.25, "proportional"), [13, 7, 5])


def test_labels_follow_counts():
    np.testing.assert_array_equal(labels_for(np.array([2, 0, 1])), [0, 0, 2])


@pytest.mark.parametrize(
    ("ratio", "balance", "message"),
    [(-0.5, "balanced", "synth.ratio=-0.5"), (1.0, "even", "synth.balance='even'")],
)
def test_bad_settings_name_the_key(ratio, balance, message):
    with pytest.raises(ConfigError, match=message):
        class_counts(Y, 3, ratio, balance)
