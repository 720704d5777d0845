"""A model of two inputs end to end: compile (C simulation exact against QKeras, the whole network in RTL,
co-simulated), user inputs by name, golden vectors, and the Python API's emulate.

The two inputs get different fixed-point types (hls4ml's configuration of the input layers, as a user would
set it), so every stage that packs them must keep each input's lanes at its own type.
"""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from trigger.errors import InputError

pytestmark = pytest.mark.slow

CALO_TYPE = "ap_fixed<10,3>"  # tracks keep the default ap_fixed<16,6>
N = 600


def _two_input_model(path):
    import tensorflow as tf
    from qkeras import QActivation, QDense

    from trigger.zoo import randomize

    L = tf.keras.layers
    q = {"kernel_quantizer": "quantized_bits(6,0,alpha=1)", "bias_quantizer": "quantized_bits(6,0,alpha=1)"}
    tracks = tf.keras.Input((6,), name="tracks")
    calo = tf.keras.Input((2, 2), name="calo")
    ha = QActivation("quantized_relu(8,3)", name="ra")(QDense(5, name="da", **q)(tracks))
    hb = QActivation("quantized_relu(8,3)", name="rb")(QDense(5, name="db", **q)(L.Flatten(name="flat")(calo)))
    merged = L.Concatenate(name="cat")([L.Add(name="add")([ha, hb]), hb])
    model = tf.keras.Model([tracks, calo], QDense(3, name="out", **q)(merged), name="two_inputs")
    randomize(model, seed=7)
    model.save(path)
    return path


def _calo_typed(build_config):
    """trigger.hls.build_config with the calo input layer given its own type."""

    def config(source, opts):
        cfg = build_config(source, opts)
        cfg["LayerName"]["calo"].setdefault("Precision", {})["result"] = CALO_TYPE
        return cfg

    return config


@pytest.fixture(scope="module")
def two(tmp_path_factory):
    """(model file, project directory, exit code, in-process Project) of one full compile (no yosys)."""
    import trigger
    from trigger import hls

    tmp = tmp_path_factory.mktemp("two_inputs")
    model = _two_input_model(tmp / "two_inputs.h5")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(hls, "build_config", _calo_typed(hls.build_config))
        project = trigger.compile(model, "xcvu9p", tmp / "prj", n_vectors=N, synth=False)
    return model, tmp / "prj", project


def test_two_inputs_are_exact_through_the_rtl_and_cosimulation(two):
    _, out, _ = two
    r = json.loads((out / "report.json").read_text())
    emu = r["emulation"]
    assert emu["mode"] == "exact" and emu["bit_exact"], emu
    ports = emu["inputs"]["ports"]
    assert [(p["name"], p["type"], p["lanes"]) for p in ports] == [
        ("tracks", "fixed<16,6>", [0, 6]),
        ("calo", "fixed<10,3>", [6, 10]),
    ]
    assert r["model"]["inputs"] == [[6], [2, 2]]
    assert r["rtl"]["not_in_rtl"] == [] and r["rtl"]["check"]["bit_exact"] and r["rtl"]["check"]["layer"] == "out"
    assert r["cosim"]["mismatches"] == 0 and r["cosim"]["n_vectors"] == N and r["cosim"]["passed"]
    # the reference (QKeras) and the C simulation, as raw integers of the compared type
    from trigger.fixed import fixed_type_from_str

    index = json.loads((out / "vectors" / "index.json").read_text())
    ftype = fixed_type_from_str(index["expected_raw"]["type"])
    ref_raw, on_grid = ftype.to_raw(np.load(out / "vectors" / "reference.npy"))
    assert on_grid.all()
    np.testing.assert_array_equal(ref_raw, np.load(out / "vectors" / "expected_raw.npy"))
    # each input's raw integers at its own type: calo lanes at 7 fractional bits
    inputs, inputs_raw = np.load(out / "vectors" / "inputs.npy"), np.load(out / "vectors" / "inputs_raw.npy")
    np.testing.assert_array_equal(inputs_raw[:, 6:], np.round(inputs[:, 6:] * 2**7).astype(np.int64))
    np.testing.assert_array_equal(inputs_raw[:, :6], np.round(inputs[:, :6] * 2**10).astype(np.int64))


def test_feeding_one_input_wrongly_fails_the_cosimulation(two, tmp_path):
    """The bus carries the inputs in the C++ top function's order: tracks lanes reversed -> mismatches."""
    from trigger.cli import cosim_main

    _, out, _ = two
    copy = tmp_path / "prj"
    shutil.copytree(out, copy)
    raw = np.load(copy / "vectors" / "inputs_raw.npy")
    raw[:, :6] = raw[:, 5::-1]
    np.save(copy / "vectors" / "inputs_raw.npy", raw)
    assert cosim_main([str(copy)]) == 3
    assert json.loads((copy / "report.json").read_text())["cosim"]["mismatches"] > 0


def test_inputs_by_name_from_an_npz(two, tmp_path, compile_cli):
    model, out, _ = two
    rng = np.random.default_rng(3)
    tracks, calo = rng.uniform(-4, 4, (40, 6)), rng.uniform(-1, 1, (40, 2, 2))
    f = tmp_path / "x.npz"
    np.savez(f, calo=calo, tracks=tracks)
    run = compile_cli(model, "--target", "xcvu9p", "-o", tmp_path / "p", "--inputs", f, "--stop-after", "emulate")
    assert run.code == 0, run.err
    x = np.load(tmp_path / "p" / "vectors" / "inputs.npy")
    assert x.shape == (40, 10)
    from trigger.fixed import FixedType

    np.testing.assert_array_equal(x[:, :6], FixedType(16, 6, True).quantize(tracks))
    np.testing.assert_array_equal(x[:, 6:], FixedType(16, 6, True).quantize(calo.reshape(40, 4)))

    np.savez(f, tracks=tracks, jets=calo)
    run = compile_cli(model, "--target", "xcvu9p", "-o", tmp_path / "q", "--inputs", f)
    assert (
        run.code == 2 and "x.npz: holds arrays ['jets', 'tracks']; the model's inputs are ['tracks', 'calo']" in run.err
    )
    assert not (tmp_path / "q").exists()


def test_golden_vectors_of_two_inputs(two):
    """trigger-regress record then check: the rebuilt emulation (with the recorded configuration) is exact."""
    from trigger.regress.check import check, record
    from trigger.regress.golden import read

    model, out, _ = two
    # the rebuild reads the model's configuration from the manifest: the calo type is an hls4ml override that a
    # rebuild cannot know, so the golden vectors are recorded and checked in a project compiled without it
    import trigger

    plain = out.parent / "plain"
    trigger.compile(model, "xcvu9p", plain, n_vectors=50, rtl=False, synth=False)
    record(plain)
    g = read(plain)
    assert [p.name for p in g.input_layout.ports] == ["tracks", "calo"] and g.inputs_raw.shape == (50, 10)
    assert check(plain).passed
    np.save(plain / "other.npy", np.zeros(3))
    with pytest.raises(InputError, match="other.npy: inputs have shape"):
        record(plain, plain / "other.npy")


def test_project_emulate_takes_one_array_per_input(two):
    _, out, project = two
    x = np.load(out / "vectors" / "inputs.npy")[:30]
    tracks, calo = x[:, :6], x[:, 6:].reshape(30, 2, 2)
    got = project.emulate([tracks, calo])
    np.testing.assert_array_equal(got.raw, np.load(out / "vectors" / "expected_raw.npy")[:30])
    np.testing.assert_array_equal(project.emulate(x).raw, got.raw)  # packed, as the vectors are stored
