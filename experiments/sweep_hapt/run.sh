#!/usr/bin/env bash
# 16 trials on hapt (6 activities, official UCI-HAR test subjects), the default search space without synthetic data,
# 2 workers, 20-epoch trials; then the export. Settings: conf/experiment/sweep_hapt.yaml.
set -euo pipefail
har-sweep +experiment=sweep_hapt "paths.root=${1:-outputs}"
