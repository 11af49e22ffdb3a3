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
train data=hapt data.source.include_transitions=true "paths.output_dir=$root/tracking/hapt12_run"
bundle hapt12
train data=hapt "paths.output_dir=$root/tracking/hapt6_run"
bundle hapt6
python "$here/write_csv.py" --out "$root/tracking/hapt_csv"
python "$here/tune.py" --root "$root"
python "$here/evaluate.py" --root "$root"
