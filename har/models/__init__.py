"""Network builders, one per file: `build(input_shape, num_classes, **params) -> keras.Model`.

Builders are pure: functional, uncompiled, no seeding, no globals. Their output is a float32
softmax, so mixed precision and TFLite conversion see the same head. Each raises
ValueError naming the parameter when the window is too short for the architecture.
"""
