"""Open RTL path: hls4ml's arithmetic rebuilt in da4ml, written as pipelined Verilog.

Status: the translation (`translate.trace_hls_model`) and its exactness check against the C
simulation are in place and tested; the compile stage, the valid/reset wrapper and cocotb
co-simulation are not yet wired into `trigger-compile` (see the issue tracker).
"""
