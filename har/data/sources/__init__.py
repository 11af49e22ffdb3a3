"""Dataset sources. Each is a class with `load() -> RecordingSet` and `fingerprint() -> str`.

The fingerprint changes whenever the recordings the source would return change; the window
cache keys on it together with the data config.
"""
