#!/usr/bin/env bash
# 40 trials on watch over architectures x augmentation x learning rate x batch size (the
# default search space), TPE + median pruning, 2 workers, 20-epoch trials; then the export.
set -euo pipefail
har-sweep sweep.study=watch-40 sweep.n_trials=40 "paths.root=${1:-outputs}"
