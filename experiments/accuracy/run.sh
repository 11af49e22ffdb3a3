#!/usr/bin/env bash
# The accuracy study: per dataset, the 2 x 2 ablation (statistics side input x weight averaging)
# judged by 3 subject folds; the best cell by its fold mean is refit on every non-test subject
# (its folds are reused) and exported with the fold ensemble, beside the selection study's choice
# (experiments/selection) when it ran under the same root; the higher fold mean is chosen.
# Settings: conf/experiment/accuracy_{watch,hapt}.yaml. Usage: experiments/accuracy/run.sh [paths.root]
set -euo pipefail
root="${1:-outputs}"
here="$(dirname "$0")"
for dataset in watch hapt; do
  start=$(date +%s)
  har-ablate +experiment=accuracy_$dataset "paths.root=$root"
  # the cell chosen by validation alone (the fold mean), and its har-train overrides
  read -r run_dir overrides < <(python "$here/analyse.py" select "$root" "$dataset")
  # shellcheck disable=SC2086  # the overrides are separate words
  har-train $overrides validation=subject_kfold logger=none "paths.root=$root" "paths.output_dir=$run_dir"
  har-export "run_dir=$run_dir" ensemble=true logger=none "paths.root=$root" \
    "paths.output_dir=$root/accuracy/export-$dataset"
  # a second candidate: the selection study's choice by the same fold mean, if it ran here
  if trial=$(python "$here/analyse.py" selection "$root" "$dataset"); then
    har-export "run_dir=$trial" ensemble=true logger=none "paths.root=$root" \
      "paths.output_dir=$root/accuracy/export-$dataset-selection"
  fi
  echo "$dataset: $(( $(date +%s) - start )) s" | tee -a "$root/accuracy/wall_times.txt"
done
python "$here/analyse.py" summary "$root"
