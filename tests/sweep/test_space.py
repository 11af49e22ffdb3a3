"""Search spaces produce exactly the expected overrides, conditional parameters included."""

from __future__ import annotations

import pytest
from omegaconf import OmegaConf
from optuna.trial import FixedTrial

from har.config import ConfigError
from har.sweep.space import branches, parse_space, sample, to_overrides

SPACE = {
    "params": {
        "model": {"type": "categorical", "choices": ["cnn", "dscnn"]},
        "optimizer.learning_rate": {"type": "float", "low": 1e-4, "high": 1e-2, "log": True},
        "model.build.depth": {"type": "int", "low": 2, "high": 4, "when": {"model": "cnn"}},
        "augment": {"type": "categorical", "choices": ["none", "light"]},
    }
}


def test_overrides_with_the_conditional_parameter():
    params = parse_space(SPACE)
    values = sample(
        params,
        FixedTrial(
            {"model": "cnn", "optimizer.learning_rate": 0.002, "model.build.depth": 3, "augment": "light"}
        ),
    )
    assert to_overrides(values) == [
        "model=cnn",
        "optimizer.learning_rate=0.002",
        "model.build.depth=3",
        "augment=light",
    ]


def test_conditional_parameter_absent_for_the_other_choice():
    params = parse_space(SPACE)
    values = sample(
        params, FixedTrial({"model": "dscnn", "optimizer.learning_rate": 0.001, "augment": "none"})
    )
    assert to_overrides(values) == ["model=dscnn", "optimizer.learning_rate=0.001", "augment=none"]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"x": {"type": "normal"}}, r"x.type='normal'"),
        ({"x": {"type": "float", "low": 2, "high": 1}}, "need low < high"),
        ({"x": {"type": "float", "low": 0, "high": 1, "log": True}}, "log scale needs low > 0"),
        ({"x": {"type": "categorical", "choices": []}}, "give at least one choice"),
        (
            {"x": {"type": "int", "low": 1, "high": 3, "when": {"model": "cnn"}}},
            "'model' is not a parameter declared before it",
        ),
        ({"x": {"type": "int", "low": 1, "high": 3, "step_size": 2}}, r"unknown field\(s\) step_size"),
    ],
)
def test_bad_spaces_name_the_parameter(spec, message):
    with pytest.raises(ConfigError, match=message):
        parse_space({"params": spec})


def test_every_shipped_search_space_parses_and_composes(compose_train):
    from har.config import CONF_DIR

    for path in (CONF_DIR / "search_space").glob("*.yaml"):
        import yaml

        params = parse_space(yaml.safe_load(path.read_text()), path.stem)
        for pick in (0, -1):  # first and last choices: both sides of every conditional
            choice = {p.key: (p.choices[pick] if p.type == "categorical" else p.low) for p in params}
            values = sample(params, FixedTrial(choice))
            cfg = compose_train(*to_overrides(values))  # every sampled key exists in the train config
            for key, value in values.items():
                assert str(OmegaConf.select(cfg, key) if "." in key else cfg[key].name) == str(value), key


def test_branches_take_every_group_choice_and_activate_every_parameter():
    params = parse_space(SPACE)
    found = [to_overrides(values) for values in branches(params)]
    assert found == [
        ["model=cnn", "optimizer.learning_rate=0.0001", "model.build.depth=2", "augment=none"],
        ["model=dscnn", "optimizer.learning_rate=0.0001", "augment=none"],
        ["model=cnn", "optimizer.learning_rate=0.0001", "model.build.depth=2", "augment=light"],
    ]
