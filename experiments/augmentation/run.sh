#!/usr/bin/env bash
# The augmentation study, conf/experiment/ablation_augment.yaml: none / light / strong / um2017
# on watch, seeds 0 1 2, default model and training. Two har-ablate processes (one thread each)
# share the grid on a 2-core machine; the last call only summarises the experiment's whole
# grid (every cell is done by then, so it trains nothing).
set -euo pipefail
root=${1:-outputs}
mkdir -p "$root"
common=(+experiment=ablation_augment "paths.root=$root" 'overrides=["trainer.threads=1"]')
export OMP_NUM_THREADS=1
har-ablate "${common[@]}" 'factors={augment:[none,light]}' > "$root/augmentation-a.log" 2>&1 &
har-ablate "${common[@]}" 'factors={augment:[strong,um2017]}' > "$root/augmentation-b.log" 2>&1
wait
har-ablate "${common[@]}"
