"""Open RTL path: hls4ml's arithmetic rebuilt in da4ml and written as pipelined Verilog.

apfixed    ap_fixed rounding/overflow semantics (numpy and da4ml)
translate  hls4ml ModelGraph -> da4ml CombLogic (`trace_hls_model`)
generate   CombLogic -> Verilog pipeline + trigger's valid/reset top level, design.json
bus        packing of raw integers onto the RTL's lane layout
build      the compile stage: trace, check against the C simulation, write
"""
