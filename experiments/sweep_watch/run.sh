#!/usr/bin/env bash
# 40 trials on watch over architectures x augmentation x learning rate x batch size (the
# default search space), TPE + median pruning, 2 workers, 20-epoch trials; then the export.
# The settings are conf/experiment/sweep_watch.yaml; the pruner's start-up trials and warm-up
# epochs are pinned here as measured (the quick preset under the experiment now sets 2 and 0).
# Trials are judged by holdout (val subject 8), har-train's default, as measured.
set -euo pipefail
har-sweep +experiment=sweep_watch sweep.pruner.n_startup_trials=3 sweep.pruner.n_warmup_steps=5 \
  "paths.root=${1:-outputs}"
