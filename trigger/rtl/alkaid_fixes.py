"""Workarounds for alkaid 0.8.2 bugs, in one place; each names the upstream symptom.

(The other alkaid limit trigger meets, constants with more than 24 significant bits, is refused by
`trigger.rtl.checks` rather than worked around.)
"""

from __future__ import annotations

from alkaid.trace import FVariable
from alkaid.trace.passes.surrogate import cost_lat_mul


def var_mul(a: FVariable, b: FVariable) -> FVariable:
    """a * b of two traced variables (exact), with a latency that follows its operands.

    Upstream symptom: `KeyError` in `alkaid.trace.tracer._trace` for a product of two variables.
    `FVariable.get_latency` estimates a `vmul` with the raw `HWConfig.carry_size`; at -1 (unlimited, as
    trigger traces) the estimate is negative (-1.65 for 12 x 12 bits), the product sorts before its
    operands, and the trace fails.  alkaid's own passes take the sizes modulo 65535; so does this.
    """
    v = a * b
    if v.opr == "vmul":
        hw = v.hwconf
        lat = cost_lat_mul(a.qint, b.qint, hw.adder_size % 65535, hw.carry_size % 65535)[1]
        v.latency = max(float(a.latency), float(b.latency)) + float(lat)
    return v


def solver_options(options: dict) -> dict:
    """`options` for alkaid's CMVM with its binary-LUT lowering switched off (its own `binary_lut` option).

    Upstream symptom: `AssertionError: Original quantization interval (0.0, 63.0, 1.0) does not cover all
    values of the variable QInterval(min=-63.0, max=-0.0, step=1.0)` from
    `alkaid.trace.fixed_variable_array._cmvm_binary_lut`.  A constant matrix times 1-bit inputs (kif summing to
    1) is lowered to lookup tables addressed by sum(v_k * 2^k); a signed 1-bit input takes the values {-1, 0}
    (times its step), the address goes negative and the lookup asserts.  HGQ2 trains such inputs (a weight or
    activation left with one signed bit).  Without the lowering the adder graph takes them like any other.
    """
    return {**options, "binary_lut": False}
