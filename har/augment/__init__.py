"""IMU augmentations: pure, batched TensorFlow functions that run inside tf.data.

Each transform is `fn(x, seed, *, probability, strength, ...) -> tensor` with x (B, T, C) in
physical units (g, rad/s), seed a stateless seed (2,) int64. Every sample gets the transform
with `probability`, independently; `strength` 0 or `probability` 0 return x unchanged.
`conf/augment/*.yaml` lists them in order; `Pipeline` chains them.
"""

from har.augment.pipeline import Pipeline, build_pipeline

__all__ = ["Pipeline", "build_pipeline"]
