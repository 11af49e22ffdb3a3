#!/usr/bin/env bash
# float32 / float16 / dynamic-range int8 / full-integer int8 of a finished har-train run,
# compared on its test split: conf/experiment/quantization.yaml.
#   experiments/quantization/run.sh <run folder> [<output root>]
set -euo pipefail
har-export +experiment=quantization "run_dir=$1" "paths.root=${2:-outputs}"
