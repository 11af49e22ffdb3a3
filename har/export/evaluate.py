"""Each variant on the test split in LiteRT's interpreter, next to the Keras model.

Latency is single-window (batch 1), one thread, after warm-up: what a phone app calling the
model once per hop sees. On this CPU, float16 weights are expanded to float32 when the
interpreter loads the model, so float16 halves the file, not the latency.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field

import keras
import numpy as np
import tensorflow as tf

from har.export.convert import make_interpreter, run_tflite
from har.metrics import TEST_ACCURACY, TEST_MACRO_F1, classification_metrics


@dataclass
class VariantReport:
    name: str
    size_bytes: int
    accuracy: float
    macro_f1: float
    per_class_f1: dict[str, float]
    agreement: float  # argmax agreement with Keras
    max_abs_delta: float  # |probability - Keras probability|
    mean_abs_delta: float
    latency_p50_ms: float
    latency_p95_ms: float
    throughput_windows_s: float
    extra: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


def _percentiles(seconds: list[float]) -> tuple[float, float]:
    milliseconds = np.asarray(seconds) * 1000
    return float(np.percentile(milliseconds, 50)), float(np.percentile(milliseconds, 95))


def tflite_latency(
    model_content: bytes, window: np.ndarray, *, invocations: int, warmup: int
) -> tuple[float, float]:
    """p50, p95 in ms of single-window invocations, 1 thread."""
    interpreter = make_interpreter(model_content, num_threads=1)
    detail = interpreter.get_input_details()[0]
    index = detail["index"]
    window = window.astype(np.float32)
    for _ in range(warmup):
        interpreter.set_tensor(index, window)
        interpreter.invoke()
    times = []
    for _ in range(invocations):
        started = time.perf_counter()
        interpreter.set_tensor(index, window)
        interpreter.invoke()
        times.append(time.perf_counter() - started)
    return _percentiles(times)


def tflite_throughput(model_content: bytes, X: np.ndarray, *, batch: int = 256, repeats: int = 3) -> float:
    """Windows per second, batches of `batch`, 1 thread."""
    interpreter = make_interpreter(model_content, num_threads=1)
    chunk = X[:batch]
    run_tflite(interpreter, chunk)  # resize and warm up
    started = time.perf_counter()
    for _ in range(repeats):
        run_tflite(interpreter, chunk)
    return repeats * len(chunk) / (time.perf_counter() - started)


def keras_latency(
    model: keras.Model, window: np.ndarray, *, invocations: int, warmup: int
) -> tuple[float, float]:
    call = tf.function(lambda x: model(x, training=False))
    tensor = tf.constant(window.astype(np.float32))
    for _ in range(warmup):
        call(tensor).numpy()
    times = []
    for _ in range(invocations):
        started = time.perf_counter()
        call(tensor).numpy()
        times.append(time.perf_counter() - started)
    return _percentiles(times)


def report(
    name: str,
    probabilities: np.ndarray,
    reference: np.ndarray,
    y: np.ndarray,
    class_names: list[str],
    *,
    size_bytes: int,
    latency: tuple[float, float],
    throughput: float,
    extra: dict | None = None,
) -> VariantReport:
    metrics = classification_metrics("test", y, probabilities, class_names)
    delta = np.abs(probabilities - reference)
    return VariantReport(
        name=name,
        size_bytes=size_bytes,
        accuracy=metrics[TEST_ACCURACY],
        macro_f1=metrics[TEST_MACRO_F1],
        per_class_f1={c: metrics[f"test/f1/{c}"] for c in class_names},
        agreement=float((probabilities.argmax(1) == reference.argmax(1)).mean()),
        max_abs_delta=float(delta.max()),
        mean_abs_delta=float(delta.mean()),
        latency_p50_ms=latency[0],
        latency_p95_ms=latency[1],
        throughput_windows_s=throughput,
        extra=dict(extra or {}),
    )
