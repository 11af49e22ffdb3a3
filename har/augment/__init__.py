"""IMU augmentations: pure, batched TensorFlow functions that run inside tf.data.

Each transform is `fn(x, seed, *, probability, strength, ...) -> tensor` with x (B, T, C) in
physical units (g, rad/s), seed a stateless seed (2,) int64. Every sample gets the transform
with `probability`, independently; `strength` 0 or `probability` 0 return x unchanged.
`conf/augment/*.yaml` lists them in order; `Pipeline` chains them. What other packages use is
named here and imported on first use (`har.public`): no TensorFlow on import.
"""

from __future__ import annotations

import har

__all__, __getattr__, __dir__ = har.public(
    __name__,
    {
        "Pipeline": "pipeline",
        "build_pipeline": "pipeline",
        "preview_augmentation": "preview:main",  # `har-augment-preview`
    },
)
