"""How a configuration is judged: holdout, or subject-wise k-fold cross-validation and a refit
(`folds`); paired comparisons over folds and seeds (`paired`), their statistics (`stats`), and
the Markdown and LaTeX (booktabs) tables summaries are written as (`tables`).

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
        "paired_figure": "paired:figure",
        "spearman_interval": "stats",
        "paired_interval": "stats",
        "corrected_paired_interval": "stats",
        "t_interval": "stats",
        "Interval": "stats",
        "MIN_TRIALS_FOR_RANKING": "stats",
        "DIFFERENCE_RANGE": "stats",
        "SCORE_RANGE": "stats",
        "markdown_table": "tables:markdown",
        "booktabs": "tables",
    },
)
