import numpy as np
import pytest

from trigger.errors import InputError
from trigger.fixed import FixedType, parse_precision


def test_range_and_grid_of_signed_type():
    t = FixedType(16, 6, True)
    assert (t.frac, t.lsb, t.min_value, t.max_value) == (10, 2**-10, -32.0, 32.0 - 2**-10)


def test_unsigned_range():
    t = FixedType(6, 0, False)
    assert (t.min_value, t.max_value) == (0.0, 1.0 - 2**-6)


def test_to_raw_flags_values_off_grid():
    raw, on_grid = FixedType(8, 3, True).to_raw(np.array([0.5, -1.03125, 0.01]))
    np.testing.assert_array_equal(raw, [16, -33, 0])
    np.testing.assert_array_equal(on_grid, [True, True, False])


def test_quantize_truncates_down_and_saturates():
    t = FixedType(8, 3, True)
    np.testing.assert_array_equal(
        t.quantize(np.array([0.04, -0.01, 100.0, -100.0])), [0.03125, -0.03125, t.max_value, -4.0]
    )


def test_from_raw_inverts_to_raw():
    t = FixedType(18, 7, True)
    raw = np.array([-(2**17), -1, 0, 1, 2**17 - 1])
    np.testing.assert_array_equal(t.to_raw(t.from_raw(raw))[0], raw)


@pytest.mark.parametrize("text", ["ap_fixed<16,6>", "fixed<18,8>", "ap_fixed<18,8,AP_RND,AP_SAT>", "ap_ufixed<8,0>"])
def test_valid_precisions(text):
    assert parse_precision(text) == text


@pytest.mark.parametrize("text", ["float", "ap_fixed<16>", "16,6", "ap_fixed<0,0>"])
def test_invalid_precisions(text):
    with pytest.raises(InputError, match="not a fixed-point type"):
        parse_precision(text)
