#!/usr/bin/env bash
# Counting study, training half: the models whose events count.py scores (defaults otherwise:
# cnn, holdout validation on the declared val subjects, seed 0). Skips what is already there.
#   experiments/counting/train.sh [<root>]      (on a shared machine: flock <lock> experiments/counting/train.sh)
set -euo pipefail
root=${1:-outputs}
train() { [ -f "$root/counting/$1_run/metrics.json" ] || har-train logger=none "paths.root=$root" \
  "paths.output_dir=$root/counting/$1_run" "${@:2}"; }
bundle() { [ -f "$root/counting/$1_export/bundle/manifest.json" ] || har-export logger=none "paths.root=$root" \
  "run_dir=$root/counting/$1_run" "paths.output_dir=$root/counting/$1_export" 'variants=[float16]'; }
# watch: the same architecture on sliding windows (the reference accuracy) and on movement windows
train watch_sliding data=watch
train watch data=watch data.windows.kind=movements
bundle watch
# strikes_sim workouts (SIMULATED): movement windows with an idle class between movements
train strikes data=strikes_sim data.source.kind=workout data.windows.kind=movements data.windows.idle_class=true
bundle strikes
# hapt with its postural transitions: the detector is fitted on the transitions' labelled runs;
# every movement window is labelled at its peak (walking steps too, which the model learns to call walking)
train hapt data=hapt data.source.include_transitions=true data.label_rule=centre data.windows.kind=movements \
  'data.windows.events=[STAND_TO_SIT,SIT_TO_STAND,SIT_TO_LIE,LIE_TO_SIT,STAND_TO_LIE,LIE_TO_STAND]' \
  trainer.class_weight=balanced
bundle hapt
