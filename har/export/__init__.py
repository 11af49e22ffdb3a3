"""TFLite conversion, quantization, comparison and the deployment bundle."""
