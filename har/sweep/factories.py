"""Samplers and pruners named in `conf/sweep.yaml` (`_target_`s must live inside `har.`)."""

from __future__ import annotations

import optuna


def tpe(
    *, seed: int = 0, n_startup_trials: int = 8, multivariate: bool = True
) -> optuna.samplers.BaseSampler:
    """TPE; `multivariate` models parameters jointly, which suits conditional spaces."""
    return optuna.samplers.TPESampler(
        seed=seed, n_startup_trials=n_startup_trials, multivariate=multivariate, group=multivariate
    )


def random(*, seed: int = 0) -> optuna.samplers.BaseSampler:
    return optuna.samplers.RandomSampler(seed=seed)


def cmaes(*, seed: int = 0) -> optuna.samplers.BaseSampler:
    """CMA-ES for the continuous parameters (categoricals fall back to random sampling)."""
    return optuna.samplers.CmaEsSampler(seed=seed, warn_independent_sampling=False)


def nsga2(*, seed: int = 0, population_size: int = 16) -> optuna.samplers.BaseSampler:
    """For multi-objective studies."""
    return optuna.samplers.NSGAIISampler(seed=seed, population_size=population_size)


def grid(*, search_space: dict[str, list]) -> optuna.samplers.BaseSampler:
    return optuna.samplers.GridSampler({k: list(v) for k, v in search_space.items()})


def median(*, n_startup_trials: int = 4, n_warmup_steps: int = 5) -> optuna.pruners.BasePruner:
    return optuna.pruners.MedianPruner(n_startup_trials=n_startup_trials, n_warmup_steps=n_warmup_steps)


def successive_halving(*, min_resource: int = 4, reduction_factor: int = 3) -> optuna.pruners.BasePruner:
    return optuna.pruners.SuccessiveHalvingPruner(
        min_resource=min_resource, reduction_factor=reduction_factor
    )


def hyperband(
    *, min_resource: int = 4, max_resource: int = 40, reduction_factor: int = 3
) -> optuna.pruners.BasePruner:
    return optuna.pruners.HyperbandPruner(
        min_resource=min_resource, max_resource=max_resource, reduction_factor=reduction_factor
    )


def no_pruning() -> optuna.pruners.BasePruner:
    return optuna.pruners.NopPruner()
