"""alkaid 0.8.2 workarounds (trigger/rtl/alkaid_fixes.py): each shown failing upstream and passing with the fix."""

from __future__ import annotations

import numpy as np
import pytest
from alkaid.trace import FVArrayInput, HWConfig, trace

from trigger.rtl import alkaid_fixes

W = np.array([[1, -2, 3], [0.5, 1, -1], [-3, 0.25, 2], [2, 2, -0.5], [1, -1, 1], [-2, 3, 0.5]])


def _signed_one_bit_product(options: dict):
    """x @ W for six signed 1-bit inputs (values -1 and 0), traced with CMVM `options`."""
    inp = FVArrayInput((6,), hwconf=HWConfig(1, -1, -1), solver_options=options)
    return trace(inp, inp.quantize(1, 0, 0) @ W)


def test_binary_lut_lowering_fails_on_signed_one_bit_inputs_upstream():
    with pytest.raises(AssertionError, match="does not cover all values"):
        _signed_one_bit_product({"hard_dc": 2})


def test_without_the_lowering_the_product_is_exact():
    comb = _signed_one_bit_product(alkaid_fixes.solver_options({"hard_dc": 2}))
    x = -np.array(list(np.ndindex(*(2,) * 6)), dtype=np.float64)  # every input word: values in {-1, 0}
    np.testing.assert_array_equal(comb.predict(x), x @ W)
