"""Keras -> TFLite with builtin ops only, and running a .tflite file in LiteRT's interpreter.

`TFLiteConverter.from_keras_model` is the only route used: `from_concrete_functions`
silently produced wrong outputs here, and Keras' `export(format="litert")` allows Select TF
ops, which the LiteRT wheel cannot run.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import sys
import tempfile
import warnings
from collections.abc import Iterable, Iterator

import keras
import numpy as np
import tensorflow as tf
from ai_edge_litert.interpreter import Interpreter

from har.errors import UserError

QUANTIZATIONS = ("float32", "float16", "dynamic_int8", "int8")


class ConversionError(UserError, RuntimeError):
    """The model cannot be converted with builtin ops only."""


@contextlib.contextmanager
def quiet_native_output() -> Iterator[None]:
    """Silence what TensorFlow's converter and LiteRT print from C++ (fds 1 and 2).

    Python-level prints and logging are silenced too; a ConversionError carries the
    converter's own message, so nothing useful is lost.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    previous_level = logging.getLogger("tensorflow").level
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 1)
        os.dup2(sink.fileno(), 2)
        try:
            with contextlib.redirect_stdout(open(os.devnull, "w")):
                yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])
            logging.getLogger("tensorflow").setLevel(previous_level)


def float32_model(model: keras.Model) -> keras.Model:
    """`model` computing in float32: a copy with the same weights if any layer is mixed precision.

    A `trainer.mixed_precision` checkpoint keeps float32 weights but computes in float16,
    and TFLite's builtin convolutions and matmuls take no float16 inputs, so its graph would
    need Select TF ops. The float16 *file* comes from quantizing the float32 graph's weights.
    """
    if all(layer.dtype_policy.name == "float32" for layer in model.layers):
        return model

    def in_float32(layer: keras.layers.Layer) -> keras.layers.Layer:
        return layer.__class__.from_config({**layer.get_config(), "dtype": "float32"})

    copy = keras.models.clone_model(model, clone_function=in_float32)
    copy.set_weights(model.get_weights())
    return copy


def to_tflite(
    model: keras.Model,
    quantization: str = "float32",
    *,
    representative: Iterable[np.ndarray] | None = None,
) -> bytes:
    """Convert with builtin ops only.

    Args:
        model: a Keras model with a fixed input length (mixed precision: see `float32_model`).
        quantization: `float32`; `float16` (weights stored as float16); `dynamic_int8`
            (int8 weights, float activations); `int8` (full integer with float input/output,
            calibrated on `representative` windows).
        representative: normalised windows (1, T, C) for `int8` calibration.
    """
    if quantization not in QUANTIZATIONS:
        raise ValueError(f"quantization={quantization!r}: expected one of {', '.join(QUANTIZATIONS)}")
    model = float32_model(model)
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    if quantization != "float32":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if quantization == "float16":
        converter.target_spec.supported_types = [tf.float16]
    if quantization == "int8":
        if representative is None:
            raise ValueError("quantization='int8' needs representative windows from the train split")
        windows = list(representative)
        converter.representative_dataset = lambda: ([w.astype(np.float32)] for w in windows)
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    try:
        # Keras prints the SavedModel signature it exports on the way; keep the terminal clean.
        with quiet_native_output(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return converter.convert()
    except Exception as error:  # the converter raises ConverterError and others
        message = str(error)
        ops = sorted(set(re.findall(r"'tf\.(\w+)' op is neither a custom op nor a flex op", message)))
        if ops or "flex" in message.lower() or "custom op" in message.lower():
            raise ConversionError(
                f"{model.name}: cannot be converted with TFLite builtin ops only: it needs the TensorFlow "
                f"op(s) {', '.join(ops) or '(see the converter log)'}, which only Select TF ops provide, and "
                "the LiteRT runtime cannot run those. Replace the layer or op (LSTMs: unroll=True)."
            ) from None
        raise ConversionError(f"{model.name}: TFLite conversion failed: {message.strip()[-2000:]}") from None


def make_interpreter(model_content: bytes, *, num_threads: int = 1) -> Interpreter:
    with quiet_native_output():  # "Created TensorFlow Lite XNNPACK delegate for CPU."
        interpreter = Interpreter(model_content=model_content, num_threads=num_threads)
        interpreter.allocate_tensors()  # the delegate is applied (and announced) here
    return interpreter


def run_tflite(interpreter: Interpreter, X: np.ndarray) -> np.ndarray:
    """Probabilities (N, K) for windows X (N, T, C), batched by resizing the input."""
    detail = interpreter.get_input_details()[0]
    if tuple(detail["shape"]) != X.shape:  # make_interpreter allocated it for its own shape
        interpreter.resize_tensor_input(detail["index"], list(X.shape))
        interpreter.allocate_tensors()
        detail = interpreter.get_input_details()[0]
    interpreter.set_tensor(detail["index"], X.astype(np.float32))
    interpreter.invoke()
    output = interpreter.get_output_details()[0]
    return np.array(interpreter.get_tensor(output["index"]))
