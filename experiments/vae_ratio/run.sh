#!/usr/bin/env bash
# The VAE-ratio study, conf/experiment/ablation_vae_ratio.yaml: test macro-F1 vs synth.ratio in
# {0, 0.25, 0.5, 1, 2} on watch, with all train windows and with a quarter of them
# (data.train_fraction=0.25), seeds 0 1 2; default cnn, 30 epochs. One VAE per (train split,
# seed), shared by every ratio through the VAE cache. Two har-ablate processes (one thread
# each) share the grid on a 2-core machine; the last call only summarises the whole grid
# (every cell is done by then, so it trains nothing).
set -euo pipefail
root=${1:-outputs}
mkdir -p "$root"
common=(+experiment=ablation_vae_ratio "paths.root=$root" 'overrides=["synth=cvae","synth.fit.epochs=80","trainer.epochs=30","trainer.threads=1"]')
export OMP_NUM_THREADS=1
har-ablate "${common[@]}" 'factors={data.train_fraction:[1.0],synth.ratio:[2,1]}' > "$root/vae_ratio-a.log" 2>&1 &
{
  har-ablate "${common[@]}" 'factors={data.train_fraction:[1.0],synth.ratio:[0,0.25,0.5]}'
  har-ablate "${common[@]}" 'factors={data.train_fraction:[0.25],synth.ratio:[0,0.25,0.5,1,2]}'
} > "$root/vae_ratio-b.log" 2>&1
wait
har-ablate "${common[@]}"
