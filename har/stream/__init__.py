"""Real-time tracking: a ring buffer over a sensor stream, the bundle's model every hop,
smoothing, movement events, and scoring against ground truth."""
