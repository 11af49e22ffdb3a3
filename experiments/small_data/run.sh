#!/usr/bin/env bash
# The small-data and model-families studies: per dataset and train fraction, each family
# (inception1d, minirocket, stats_mlp) is judged by 3 subject folds over the non-test subjects
# (the forest baseline beside every fold, on the same windows); the family with the best fold
# mean is refit on every non-test subject at that fraction (its folds reused) and tested once.
# At the full fraction every family is refit and exported: experiments/model_families.
# Usage: experiments/small_data/run.sh [root] [datasets...]   (default: outputs watch hapt)
#
# Epochs: 10 (patience 4) on the full data, as the main job's trials; a fraction f runs
# min(10 / f, 30) epochs (patience a third), so small sets get more steps without costing
# more than the full set. Seed 0; data.train_fraction keeps a seeded share of each class's
# windows of every training split (folds and refit alike).
# STEPS="folds refits summary" (the default) or a part of it: e.g. folds for more families first.
# HAR_LOCK=<file>: every training takes this lock (flock), to share a machine one run at a time.
set -euo pipefail
run() { if [ -n "${HAR_LOCK:-}" ]; then flock "$HAR_LOCK" "$@"; else "$@"; fi; }
root="${1:-outputs}"
shift || true
datasets=("$@")
[ ${#datasets[@]} -gt 0 ] || datasets=(watch hapt)
here="$(dirname "$0")"
read -r -a models <<< "${MODELS:-inception1d minirocket stats_mlp}"
steps=" ${STEPS:-folds refits summary} "
for dataset in "${datasets[@]}"; do
  [[ $steps == *" folds "* ]] || continue
  for fraction in 1.0 0.25 0.1 0.05; do
    epochs=$(python -c "print(min(round(10 / $fraction), 30))")
    for model in "${models[@]}"; do
      start=$(date +%s)
      run har-train "data=$dataset" "model=$model" "data.train_fraction=$fraction" \
        validation=subject_kfold validation.refit=false "trainer.epochs=$epochs" \
        "trainer.patience=$(( epochs <= 10 ? 4 : epochs / 3 ))" logger=none "paths.root=$root" \
        "paths.output_dir=$root/small_data/$dataset/$fraction/$model"
      echo "$dataset $fraction $model folds: $(( $(date +%s) - start )) s" | tee -a "$root/small_data/wall_times.txt"
    done
  done
done
for dataset in "${datasets[@]}"; do
  [[ $steps == *" refits "* ]] || continue
  # refits: the CV-chosen family at every fraction, and every family at the full fraction
  python "$here/analyse.py" refits "$root" "$dataset" | while read -r fraction model; do
    epochs=$(python -c "print(min(round(10 / $fraction), 30))")
    run_dir="$root/small_data/$dataset/$fraction/$model"
    start=$(date +%s)
    run har-train "data=$dataset" "model=$model" "data.train_fraction=$fraction" \
      validation=subject_kfold "trainer.epochs=$epochs" \
      "trainer.patience=$(( epochs <= 10 ? 4 : epochs / 3 ))" logger=none "paths.root=$root" \
      "paths.output_dir=$run_dir" < /dev/null
    if [ "$fraction" = 1.0 ]; then
      run har-export "run_dir=$run_dir" logger=none "paths.root=$root" \
        "paths.output_dir=$root/model_families/export-$dataset-$model" < /dev/null
    fi
    echo "$dataset $fraction $model refit: $(( $(date +%s) - start )) s" | tee -a "$root/small_data/wall_times.txt"
  done
done
[[ $steps != *" summary "* ]] || python "$here/analyse.py" summary "$root"
