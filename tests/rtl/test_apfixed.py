"""ap_fixed conversion semantics in numpy (the rounding modes the RTL must reproduce)."""

import numpy as np
import pytest

from trigger.fixed import hls_quantize_np

SPEC = {"k": 1, "i": 2, "f": 1, "width": 4, "signed": True}  # fixed<4,3>: step 0.5, range [-4, 3.5]
X = np.array([0.25, 0.75, -0.25, -0.75, 1.25, 5.0, -5.0])


@pytest.mark.parametrize(
    "rnd, expected",
    [
        ("TRN", [0.0, 0.5, -0.5, -1.0, 1.0]),
        ("RND", [0.5, 1.0, 0.0, -0.5, 1.5]),
        ("RND_CONV", [0.0, 1.0, 0.0, -1.0, 1.0]),  # ties to even
        ("RND_ZERO", [0.0, 0.5, 0.0, -0.5, 1.0]),
        ("RND_INF", [0.5, 1.0, -0.5, -1.0, 1.5]),
        ("RND_MIN_INF", [0.0, 0.5, -0.5, -1.0, 1.0]),
        ("TRN_ZERO", [0.0, 0.5, 0.0, -0.5, 1.0]),
    ],
)
def test_rounding_modes_on_ties(rnd, expected):
    got = hls_quantize_np(X[:5], {**SPEC, "rnd": rnd, "sat": "SAT"})
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize(
    "sat, expected", [("SAT", [3.5, -4.0]), ("SAT_SYM", [3.5, -3.5]), ("SAT_ZERO", [0.0, 0.0]), ("WRAP", [-3.0, 3.0])]
)
def test_overflow_modes(sat, expected):
    np.testing.assert_array_equal(hls_quantize_np(X[5:], {**SPEC, "rnd": "TRN", "sat": sat}), expected)
