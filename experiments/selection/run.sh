#!/usr/bin/env bash
# The selection study: per dataset, ~12 random configurations x (3 subject folds + a refit) and
# the default cnn through the same protocol; then the tables and the plot. Settings:
# conf/experiment/selection_{watch,hapt}.yaml. Usage: experiments/selection/run.sh [paths.root]
set -euo pipefail
root="${1:-outputs}"
for dataset in watch hapt; do
  data=(); [ "$dataset" = hapt ] && data=(data=hapt)
  start=$(date +%s)
  har-train "${data[@]}" validation=subject_kfold trainer.epochs=20 trainer.patience=8 \
    "paths.root=$root" "paths.output_dir=$root/selection/default-$dataset"
  har-sweep +experiment=selection_$dataset "paths.root=$root"
  echo "$dataset: $(( $(date +%s) - start )) s" | tee -a "$root/selection/wall_times.txt"
done
python "$(dirname "$0")/analyse.py" "$root"
