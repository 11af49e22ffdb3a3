"""Optuna sweeps driven natively: search spaces from conf/search_space, workers, storage.

This package and `har.logging` are the only places that import optuna and wandb.
"""
