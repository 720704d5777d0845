"""Open RTL path: hls4ml's arithmetic rebuilt in alkaid and written as pipelined Verilog.

registry   the handler registry: one function per hls4ml layer class (`@handles`), `Unsupported`
layers/    the handlers, one module per layer family (importing the package registers them)
apfixed    ap_fixed rounding/overflow semantics on alkaid variables
matmul     nnet::dense_latency's accumulation (Dense, convolutions on patches, ...)
weights    layer parameters as the C simulation uses them
checks     alkaid's float64 bookkeeping stayed exact
translate  hls4ml ModelGraph -> alkaid CombLogic (`trace_hls_model`)
generate   CombLogic -> Verilog pipeline + trigger's valid/reset top level, design.json
bus        packing of raw integers onto the RTL's lane layout
build      the compile stage: trace, check against the C simulation, write
"""
