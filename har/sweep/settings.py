"""What a study was started with, remembered in the study itself, and a rerun that differs.

The settings that decide what a study's trials mean (the train overrides every trial gets,
the search space, the objectives and their directions, the content of the `--config-dir`
folders its trials compose from) are stored as the study's user
attribute `har:settings`, so every machine on a shared database sees them. Rerunning the
sweep with other settings is refused, naming each difference, unless `sweep.allow_changes`
is true; then the old settings are kept in `har:settings_before`, with the trial number from
which the new ones apply.
"""

from __future__ import annotations

from typing import Any

import optuna

from har.config import ConfigError, config_files, file_changes
from har.sweep.space import Param, parse_space
from har.sweep.storage import SETTINGS
from har.sweep.worker import takes_slot

BEFORE = "har:settings_before"

_NAMES = {
    "train_overrides": "sweep.train_overrides",
    "search_space": "the search space",
    "objectives": "sweep.objectives",
    "directions": "sweep.directions",
    "config_dir": "--config-dir",
}


def sweep_settings(cfg: Any, space: dict[str, Any]) -> dict[str, Any]:
    """The settings of a composed sweep config (`space`: its search space, as read)."""
    return {
        "train_overrides": list(cfg.sweep.train_overrides),
        "search_space": space,
        "search_space_name": str(cfg.sweep.search_space),
        "objectives": list(cfg.sweep.objectives),
        "directions": list(cfg.sweep.directions),
        "config_dir": config_files(cfg.get("config_dirs") or []),
    }


def differences(before: dict[str, Any], now: dict[str, Any]) -> list[str]:
    """Each setting that differs, as `<setting> <now> (the study: <before>)`."""
    found = []
    for key, name in _NAMES.items():
        # a study from before --config-dir was stored has no `config_dir`: the same as none
        if before.get(key, [] if key == "config_dir" else None) == now.get(key):
            continue
        if key == "config_dir":
            changes = file_changes(before.get(key, []), now.get(key, []))
            found.append(f"--config-dir content differs ({', '.join(changes[:5])})")
        elif key == "search_space":
            found.append(
                f"search_space={now['search_space_name']} (the study: search_space={before.get('search_space_name')}"
                + (", since changed)" if before.get("search_space_name") == now["search_space_name"] else ")")
            )
        else:
            found.append(f"{name}={now.get(key)} (the study: {before.get(key)})")
    return found


def remember(study: optuna.Study, settings: dict[str, Any], *, allow_changes: bool) -> str | None:
    """Record `settings` in `study`, or refuse them if trials already ran with others.

    Trials that failed on a config error ran nothing, so a study holding only those may
    change its settings freely (the usual case: a typo fixed).

    Returns:
        A warning to print when changed settings were allowed, else None.

    Raises:
        ConfigError: the settings differ from the study's and `allow_changes` is false.
    """
    _check_distributions(study, settings)
    before = study.user_attrs.get(SETTINGS)
    changes = differences(before, settings) if before is not None else []
    if before is None or not changes:
        if before is None:
            study.set_user_attr(SETTINGS, settings)
        return None
    trials = study.get_trials(deepcopy=False)
    ran = [t for t in trials if not t.state.is_finished() or takes_slot(t)]
    if ran and not allow_changes:
        raise ConfigError(
            f"study {study.study_name} has {len(ran)} trial(s) run with other settings: {'; '.join(changes)}. "
            "Rerun with the study's settings, choose a new sweep.study, or add sweep.allow_changes=true"
        )
    study.set_user_attr(SETTINGS, settings)
    if not ran:
        return None
    history = [*study.user_attrs.get(BEFORE, []), {**before, "until_trial": len(trials)}]
    study.set_user_attr(BEFORE, history)
    return (
        f"warning: study {study.study_name} goes on with changed settings (sweep.allow_changes=true): "
        f"{'; '.join(changes)}; trials 0-{len(trials) - 1} ran with the old ones (the study's {BEFORE})"
    )


def _check_distributions(study: optuna.Study, settings: dict[str, Any]) -> None:
    """Refuse a parameter whose distribution Optuna cannot change within a study.

    Optuna fails every trial that samples a categorical parameter with other choices (or a
    parameter of another kind or log scale) than the study's trials had, even with
    `allow_changes`: only a new `sweep.study` can take it.
    """
    recorded: dict[str, Any] = {}
    for trial in study.get_trials(deepcopy=False):
        recorded.update(trial.distributions)
    for param in parse_space(settings["search_space"], f"search_space={settings['search_space_name']}"):
        if param.key not in recorded:
            continue
        try:
            optuna.distributions.check_distribution_compatibility(recorded[param.key], _distribution(param))
        except ValueError as error:
            raise ConfigError(
                f"search_space={settings['search_space_name']}: {param.key} is not sampled as in study "
                f"{study.study_name} ({error}); choose a new sweep.study"
            ) from None


def _distribution(param: Param) -> optuna.distributions.BaseDistribution:
    if param.type == "categorical":
        return optuna.distributions.CategoricalDistribution(list(param.choices))
    if param.type == "int":
        return optuna.distributions.IntDistribution(int(param.low), int(param.high), log=param.log)
    return optuna.distributions.FloatDistribution(float(param.low), float(param.high), log=param.log)


def train_overrides_of(study: optuna.Study, number: int) -> list[str]:
    """The `train_overrides` trial `number` ran with (the settings in force when it ran)."""
    for before in study.user_attrs.get(BEFORE, []):
        if number < before["until_trial"]:
            return list(before["train_overrides"])
    return list(study.user_attrs.get(SETTINGS, {}).get("train_overrides", []))
