"""How a configuration is judged: holdout, or subject-wise k-fold cross-validation and a refit
(`folds`); paired comparisons over folds and seeds (`paired`) and their statistics (`stats`).

What other packages use is named here and imported on first use (`har.public`).
"""

from __future__ import annotations

import har

__all__, __getattr__, __dir__ = har.public(
    __name__,
    {
        "METHODS": "folds",
        "REFIT_RULES": "folds",
        "Fold": "folds",
        "check": "folds",
        "plan": "folds",
        "refit_subjects": "folds",
        "refit_epochs": "folds",
        "combine": "folds",
        "fold_scores": "paired",
        "compare": "paired",
        "plot_paired": "paired:plot",
        "spearman_interval": "stats",
        "paired_interval": "stats",
    },
)
