"""Search spaces: Hydra override keys mapped to distributions, sampled into overrides.

    params:
      model:                     # a config group: the override is `model=<choice>`
        type: categorical
        choices: [cnn, resnet1d, dscnn]
      optimizer.learning_rate:   # a value: the override is `optimizer.learning_rate=<x>`
        type: float
        low: 3.0e-4
        high: 3.0e-3
        log: true
      model.build.depth:         # conditional: only sampled when model=cnn
        type: int
        low: 2
        high: 4
        when: {model: cnn}

Parameters are sampled in the order written, so a `when` may refer to any earlier one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from omegaconf import OmegaConf

from har.config import CONF_DIR, ConfigError

TYPES = ("categorical", "float", "int")


@dataclass(frozen=True)
class Param:
    key: str
    type: str
    choices: tuple[Any, ...] = ()
    low: float | None = None
    high: float | None = None
    log: bool = False
    step: float | None = None
    when: tuple[tuple[str, Any], ...] = ()


def load_space(name: str) -> dict[str, Any]:
    """Read and check `sweep.search_space`: a `conf/search_space/` name or a path to a .yaml.

    Returns the space as plain data (what workers receive and `parse_space` reads).
    """
    path = Path(name) if str(name).endswith(".yaml") else CONF_DIR / "search_space" / f"{name}.yaml"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in (CONF_DIR / "search_space").glob("*.yaml")))
        raise ConfigError(
            f"sweep.search_space={name!r}: no such search space (known: {known}, or a path to a .yaml)"
        )
    space = OmegaConf.to_container(OmegaConf.load(path), resolve=True)
    parse_space(space, f"search_space={name}")
    return space


def parse_space(space: Mapping[str, Any], source: str = "search_space") -> list[Param]:
    """Validate a search space and return its parameters in order."""
    params = space.get("params") if isinstance(space, Mapping) else None
    if not params:
        raise ConfigError(f"{source}.params: empty; give at least one parameter")
    parsed: list[Param] = []
    for key, spec in params.items():
        where = f"{source}.params.{key}"
        kind = spec.get("type")
        if kind not in TYPES:
            raise ConfigError(f"{where}.type={kind!r}: expected one of {', '.join(TYPES)}")
        unknown = set(spec) - {"type", "choices", "low", "high", "log", "step", "when"}
        if unknown:
            raise ConfigError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
        when = tuple((spec.get("when") or {}).items())
        for other, _ in when:
            if other not in {p.key for p in parsed}:
                raise ConfigError(f"{where}.when: {other!r} is not a parameter declared before it")
        if kind == "categorical":
            choices = tuple(spec.get("choices") or ())
            if not choices:
                raise ConfigError(f"{where}.choices: give at least one choice")
            parsed.append(Param(key, kind, choices=choices, when=when))
        else:
            low, high = spec.get("low"), spec.get("high")
            if low is None or high is None or not low < high:
                raise ConfigError(f"{where}: need low < high, got low={low}, high={high}")
            if spec.get("log") and low <= 0:
                raise ConfigError(f"{where}: log scale needs low > 0, got {low}")
            parsed.append(
                Param(
                    key, kind, low=low, high=high, log=bool(spec.get("log")), step=spec.get("step"), when=when
                )
            )
    return parsed


def active(param: Param, values: Mapping[str, Any]) -> bool:
    return all(other in values and values[other] == wanted for other, wanted in param.when)


def sample(params: list[Param], trial: Any) -> dict[str, Any]:
    """Sample every active parameter from an Optuna trial (or anything with `suggest_*`)."""
    values: dict[str, Any] = {}
    for param in params:
        if not active(param, values):
            continue
        if param.type == "categorical":
            values[param.key] = trial.suggest_categorical(param.key, list(param.choices))
        elif param.type == "int":
            values[param.key] = trial.suggest_int(
                param.key, int(param.low), int(param.high), step=int(param.step or 1), log=param.log
            )
        else:
            values[param.key] = trial.suggest_float(
                param.key, float(param.low), float(param.high), step=param.step, log=param.log
            )
    return values


def to_overrides(values: Mapping[str, Any]) -> list[str]:
    """Sampled values as Hydra overrides, in sampling order (groups select before their keys)."""
    return [f"{key}={_format(value)}" for key, value in values.items()]


def _format(value: Any) -> str:
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(_format(v) for v in value) + "]"
    return str(value)


def branches(params: list[Param]) -> list[dict[str, Any]]:
    """Samples that between them take every config group choice and activate every parameter.

    Which keys exist in a composed train config depends only on its group choices (`model`,
    `augment`, ...), so composing each of these once checks every key and option any trial
    of the space can produce. Other parameters take their first choice or their low end.
    """
    by_key = {param.key: param for param in params}
    found: dict[str, dict[str, Any]] = {}
    for param in params:
        choices = param.choices if param.type == "categorical" and _is_group(param.key) else (_first(param),)
        for choice in choices:
            wanted = {**_needs(param, by_key), param.key: choice}
            values: dict[str, Any] = {}
            for other in params:
                if active(other, values):
                    values[other.key] = wanted.get(other.key, _first(other))
            found.setdefault(repr(sorted(values.items(), key=repr)), values)
    return list(found.values())


def _is_group(key: str) -> bool:
    return (CONF_DIR / key).is_dir()


def _first(param: Param) -> Any:
    if param.type == "categorical":
        return param.choices[0]
    return int(param.low) if param.type == "int" else float(param.low)


def _needs(param: Param, by_key: Mapping[str, Param]) -> dict[str, Any]:
    """The values of earlier parameters that `param`'s `when` (and theirs, in turn) requires."""
    needs: dict[str, Any] = {}
    for other, wanted in param.when:
        needs.update(_needs(by_key[other], by_key))
        needs[other] = wanted
    return needs
