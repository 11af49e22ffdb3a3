"""Ablations: a grid of factor levels x seeds, each cell trained like `har-train`, compared in
pairs over folds and seeds (`har-ablate`).

Its own package, beside `har.sweep` rather than in it: an ablation is a fixed grid judged by
paired differences, not an adaptive Optuna study, and it imports no Optuna. What other
packages use is named here and imported on first use (`har.public`).
"""

from __future__ import annotations

import har

__all__, __getattr__, __dir__ = har.public(
    __name__,
    {
        "run_ablation": "run",
        "summarise": "report",
        "write_report": "report",
        "load_report": "report:load",
    },
)
