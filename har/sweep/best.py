"""A study's best trial(s), the one place that chooses them: for the summary, export and the driver.

Importing this module loads optuna and the storage module, not the driver, so `har-export
study=...` reads a study without importing the code that runs one. The export package itself
never reads a study: `with_best_run_dir` turns `study=` into the run folder it exports.
"""

from __future__ import annotations

from pathlib import Path

import optuna
from omegaconf import DictConfig
from optuna.trial import FrozenTrial, TrialState

from har.config import ConfigError
from har.sweep.storage import make_storage


def best_trials(study: optuna.Study) -> list[FrozenTrial]:
    """The best trial, or the Pareto front of a multi-objective study; [] before any completes."""
    if not any(t.state == TrialState.COMPLETE for t in study.get_trials(deepcopy=False)):
        return []
    return study.best_trials if len(study.directions) > 1 else [study.best_trial]


def pick(best: list[FrozenTrial], pareto_index: int = 0) -> FrozenTrial:
    """The trial to export: `best[pareto_index]`, the last point if the front is shorter.

    Raises:
        ValueError: `best` is empty (no trial completed).
    """
    if not best:
        raise ValueError("no trial completed")
    return best[min(int(pareto_index), len(best) - 1)]


def best_run_dir(storage: str | None, study_name: str, journal: Path, pareto_index: int = 0) -> Path:
    """The run folder of a stored study's best trial (a Pareto point for several objectives).

    Args:
        storage: an SQLAlchemy URL, or None for the journal file `journal`.

    Raises:
        KeyError: no study of that name in the storage.
        ValueError: no trial of the study completed.
    """
    study = optuna.load_study(study_name=study_name, storage=make_storage(storage, journal))
    return Path(pick(best_trials(study), pareto_index).user_attrs["run_dir"])


def with_best_run_dir(cfg: DictConfig) -> DictConfig:
    """An export config with `run_dir` set to the run folder of `study`'s best trial (a copy).

    `study` and `storage` stay, so the bundle's manifest records the study it came from.

    Raises:
        ConfigError: no journal file at `storage`, or no finished trial in the study.
    """
    url = str(cfg.storage) if cfg.storage and "://" in str(cfg.storage) else None
    journal = Path(cfg.storage or "journal.log")
    if url is None and not journal.is_file():
        raise ConfigError(f"storage={cfg.storage}: no such journal file")
    try:
        run_dir = best_run_dir(url, cfg.study, journal, int(cfg.pareto_index))
    except (KeyError, ValueError) as error:
        raise ConfigError(f"study={cfg.study}: no finished trial to export ({error})") from None
    resolved = cfg.copy()
    resolved.run_dir = str(run_dir)
    return resolved
