#!/usr/bin/env bash
# 40 trials on watch over architectures x augmentation x learning rate x batch size (the
# default search space), TPE + median pruning, 2 workers, 20-epoch trials; then the export.
# The settings are conf/experiment/sweep_watch.yaml.
set -euo pipefail
har-sweep +experiment=sweep_watch "paths.root=${1:-outputs}"
