"""Golden files: stable bytes, verified on reading."""

from __future__ import annotations

import json

import numpy as np
import pytest

from trigger.errors import InputError
from trigger.fixed import FixedType
from trigger.input_layout import InputLayout, Port
from trigger.regress import golden as gold

ONE = InputLayout((Port("x", (4,), FixedType(16, 6, True)),))


def _golden() -> gold.Golden:
    rng = np.random.default_rng(0)
    inputs = rng.integers(-(2**15), 2**15, (6, 4))
    outputs = rng.integers(-(2**11), 2**11, (6, 3))
    index = {"model": {"path": "../m.h5", "sha256": "ab"}, "configuration": {"part": "xcvu9p"}}
    return gold.Golden(inputs, outputs, ONE, FixedType(12, 5, True), "output", index)


def test_writing_twice_gives_identical_bytes(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    files_a, files_b = gold.write(a, _golden()), gold.write(b, _golden())
    for fa, fb in zip(files_a, files_b, strict=True):
        assert fa.read_bytes() == fb.read_bytes()
    assert str(tmp_path) not in (a / gold.INDEX).read_text()


def test_round_trip_is_exact_and_numpy_reads_the_archive(tmp_path):
    g = _golden()
    gold.write(tmp_path, g)
    back = gold.read(tmp_path)
    np.testing.assert_array_equal(back.inputs_raw, g.inputs_raw)
    np.testing.assert_array_equal(back.outputs_raw, g.outputs_raw)
    assert (back.input_layout, back.output_type, back.output_layer) == (g.input_layout, g.output_type, "output")
    np.testing.assert_array_equal(back.inputs, g.inputs_raw * 2.0**-10)
    with np.load(tmp_path / gold.NPZ) as data:
        assert sorted(data.files) == ["inputs_raw", "outputs_raw"]


def test_edited_or_missing_files_are_input_errors(tmp_path):
    with pytest.raises(InputError, match="trigger-regress record"):
        gold.read(tmp_path)
    g = _golden()
    gold.write(tmp_path, g)
    index = json.loads((tmp_path / gold.INDEX).read_text())
    index["arrays"]["outputs_raw"]["sha256"] = "0" * 64
    (tmp_path / gold.INDEX).write_text(json.dumps(index))
    with pytest.raises(InputError, match="outputs_raw does not match the hash"):
        gold.read(tmp_path)


def test_two_inputs_keep_their_own_types(tmp_path):
    """A model of two inputs: the golden inputs are packed side by side, each read back at its own type."""
    two = InputLayout((Port("a", (2,), FixedType(16, 6, True)), Port("b", (2,), FixedType(8, 2, False))))
    g = _golden()
    gold.write(tmp_path, gold.Golden(g.inputs_raw, g.outputs_raw, two, g.output_type, "output", g.index))
    back = gold.read(tmp_path)
    assert back.input_layout == two
    np.testing.assert_array_equal(back.inputs[:, :2], g.inputs_raw[:, :2] * 2.0**-10)
    np.testing.assert_array_equal(back.inputs[:, 2:], g.inputs_raw[:, 2:] * 2.0**-6)
