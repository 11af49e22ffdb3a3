"""Synthetic training windows from a conditional VAE: `synthesise(cfg.synth, data)`.

The VAE is fit on the train split only (cached, see `store`); its samples are turned back
into raw units with the train normaliser and only ever join the training stream.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from omegaconf import DictConfig

from har.config import ConfigError
from har.data import WindowedData, WindowSet
from har.synth import cvae
from har.synth.sampling import class_counts, labels_for
from har.synth.store import TrainedVAE, load_or_train

SYNTHETIC_GROUP = "synthetic"  # the `groups` value of synthetic windows (never a subject)


@dataclass
class Synthetic:
    windows: WindowSet  # raw units, like the real train windows
    vae: TrainedVAE
    counts: dict[str, int]  # per class


def synthesise(synth_cfg: DictConfig, data: WindowedData, *, dataset: str) -> Synthetic | None:
    """`synth.ratio x n_train` synthetic train windows, or None for a ratio of 0.

    Raises:
        ConfigError: a negative ratio, an unknown balance, or a ratio without a VAE (`synth=off`).
    """
    ratio = float(synth_cfg.ratio)
    counts = class_counts(
        data.train.y, len(data.class_names), ratio, str(synth_cfg.get("balance", "balanced"))
    )
    if ratio == 0:
        return None
    if "model" not in synth_cfg:
        raise ConfigError(f"synth.ratio={ratio} needs a generator: use synth=cvae")
    seed = int(synth_cfg.seed)
    vae = load_or_train(synth_cfg, data, dataset=dataset, seed=seed)
    labels = labels_for(counts)
    normalised = cvae.sample(vae.decoder, labels, len(data.class_names), seed=seed)  # (S, T, C)
    raw = normalised * data.normaliser.std + data.normaliser.mean
    print(
        f"synth: {len(labels)} synthetic windows (ratio {ratio}, {synth_cfg.balance}) from "
        f"{'cached' if vae.hit else 'new'} VAE {vae.path.name}",
        flush=True,
    )
    return Synthetic(
        WindowSet(raw.astype(np.float32), labels, np.full(len(labels), SYNTHETIC_GROUP)),
        vae,
        {name: int(n) for name, n in zip(data.class_names, counts)},
    )
