"""Synthetic training windows from a conditional VAE: `synthesise(cfg.synth, data)`.

The VAE is fit on the train split only (cached, see `store`); its samples are turned back
into raw units with the train normaliser and only ever join the training stream. What other
packages use is named here and imported on first use (`har.public`): no TensorFlow on import.
"""

from __future__ import annotations

import har

__all__, __getattr__, __dir__ = har.public(
    __name__,
    {
        "SYNTHETIC_GROUP": "synthetic",
        "Synthetic": "synthetic",
        "synthesise": "synthetic",
        "SYNTH_CACHE": "store",
        "vae_key": "store",
        "headline": "quality",
        "report": "cli",  # `har-synth`
    },
)
