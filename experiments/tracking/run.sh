#!/usr/bin/env bash
# Tracking study: a strikes_sim model on fresh simulated sessions (events; SIMULATED), and a
# hapt model on the official test subjects' continuous sessions (activity segments).
set -euo pipefail
root=${1:-outputs}
har-train data=strikes_sim logger=none "paths.root=$root" paths.output_dir="$root/tracking/strikes_run"
har-export run_dir="$root/tracking/strikes_run" logger=none "paths.root=$root" paths.output_dir="$root/tracking/strikes_export" 'variants=[float32,float16]'
python experiments/tracking/evaluate.py "$root/tracking/strikes_export/bundle" strikes_sim --sessions 5 --session-s 120
hapt_run=${2:-}
if [ -z "$hapt_run" ]; then  # or pass a finished `har-train data=hapt` run folder
  hapt_run="$root/tracking/hapt_run"
  har-train data=hapt logger=none "paths.root=$root" paths.output_dir="$hapt_run"
fi
har-export run_dir="$hapt_run" logger=none "paths.root=$root" paths.output_dir="$root/tracking/hapt_export" 'variants=[float32,float16]'
python experiments/tracking/evaluate.py "$root/tracking/hapt_export/bundle" hapt --min-duration-s 2.56
