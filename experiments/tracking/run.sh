#!/usr/bin/env bash
# Tracking study: movements and segments on hapt (real) and strikes_sim (SIMULATED), three models,
# settings tuned on the non-test subjects, then every row scored once on the test streams.
#   experiments/tracking/run.sh [<root>]        (on a shared machine: flock <lock> experiments/tracking/run.sh)
set -euo pipefail
root=${1:-outputs}
here=$(dirname "$0")
train() { har-train logger=none "paths.root=$root" "$@"; }
bundle() { har-export logger=none "paths.root=$root" "run_dir=$root/tracking/$1_run" \
  "paths.output_dir=$root/tracking/$1_export" 'variants=[float32,float16]'; }
train data=strikes_sim "paths.output_dir=$root/tracking/strikes_run"
bundle strikes
# 12 classes; transitions last 1.5-10 s, so windows are labelled by their centre sample and cut
# every 0.64 s (with windows inside one label only, SIT_TO_STAND would have 6 train windows),
# and the classes are weighted (transitions are 5% of the windows)
train data=hapt data.source.include_transitions=true data.label_rule=centre data.hop_s=0.64 \
  trainer.class_weight=balanced trainer.epochs=30 "paths.output_dir=$root/tracking/hapt12_run"
bundle hapt12
train data=hapt "paths.output_dir=$root/tracking/hapt6_run"
bundle hapt6
python "$here/write_csv.py" --out "$root/tracking/hapt_csv"
python "$here/tune.py" --root "$root"
python "$here/evaluate.py" --root "$root"
