"""trigger: compile quantized neural networks into Level-1 trigger firmware."""

__version__ = "0.1.0"
