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
