"""Optuna sweeps driven natively: search spaces from conf/search_space, workers, storage.

This package and `har.logging` are the only places that import optuna and wandb. What other
packages use is named here and imported on first use (`har.public`): importing the package
loads no Optuna.
"""

from __future__ import annotations

import har

__all__, __getattr__, __dir__ = har.public(
    __name__,
    {
        "run_sweep": "driver",
        "sweep_command": "driver:main",
        "check_study_exists": "storage",
        "with_best_run_dir": "best",
    },
)
