"""TFLite conversion, quantization, comparison and the deployment bundle (`har-export`).

Export reads a finished run folder; it never reads a study (the command line resolves
`study=` to its best trial's run folder through `har.sweep`). What other packages use is
named here and imported on first use (`har.public`): no TensorFlow on import.
"""

from __future__ import annotations

import har

__all__, __getattr__, __dir__ = har.public(
    __name__,
    {
        "export": "exporter",
        "ExportResult": "exporter",
        "ExportGuardError": "exporter",
        "Predictor": "inference",
        "Bundle": "bundle",
        "read_bundle": "bundle",
        "check_stream": "bundle",
        "to_tflite": "convert",
        "tflite_latency": "evaluate",
    },
)
