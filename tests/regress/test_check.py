"""trigger-regress record / check on a compiled project (acceptance of the golden-vector issue)."""

from __future__ import annotations

import json
import re
import shutil

import numpy as np
import pytest

pytestmark = pytest.mark.slow


def change_one_weight_by_one_lsb(model, path) -> None:
    """Save `model` to `path` with fc1's first kernel entry moved one quantizer step towards zero.

    The session's model object is changed only while saving (QKeras layers do not clone cleanly).
    """
    layer = model.get_layer("fc1")
    quantizer = layer.kernel_quantizer_internal  # quantized_bits(bits, 0, alpha=1): step 2^-(bits-1)
    lsb = 2.0 ** -(quantizer.bits - 1)
    original = layer.get_weights()
    weights = [w.copy() for w in original]
    q = float(quantizer(weights[0][:1, :1]).numpy()[0, 0])
    weights[0][0, 0] = q - lsb if q > 0 else q + lsb
    try:
        layer.set_weights(weights)
        model.save(path)
    finally:
        layer.set_weights(original)


@pytest.fixture(scope="module")
def recorded_jet(jet_files, tmp_path_factory):
    """A user's directory: the jet tagger's model file and its compiled project beside it, golden recorded.

    Tests copy it before changing anything.
    """
    from trigger.cli import compile_main, regress_main

    repo = tmp_path_factory.mktemp("jet_repo")
    shutil.copy(jet_files.h5, repo / "jet.h5")
    args = ["--target", "xcvu9p", "-o", str(repo / "jet_prj"), "--no-cosim", "--no-synth", "--n-vectors", "200"]
    assert compile_main([str(repo / "jet.h5"), *args]) == 0
    assert regress_main(["record", str(repo / "jet_prj")]) == 0
    return repo


def _copy(repo, tmp_path):
    shutil.copytree(repo, tmp_path / "repo")
    return tmp_path / "repo"


def test_record_then_check_passes_and_recording_is_reproducible(recorded_jet, capsys):
    from trigger.cli import regress_main

    project = recorded_jet / "jet_prj"
    first = {p.name: p.read_bytes() for p in (project / "vectors").glob("golden.*")}
    assert set(first) == {"golden.npz", "golden.json"}
    assert regress_main(["record", str(project)]) == 0  # again: the same bytes
    assert {p.name: p.read_bytes() for p in (project / "vectors").glob("golden.*")} == first
    index = json.loads(first["golden.json"])
    assert index["model"]["path"] == "../jet.h5" and str(recorded_jet) not in first["golden.json"].decode()
    with np.load(project / "vectors" / "golden.npz") as g:  # the project's own C-simulation outputs
        np.testing.assert_array_equal(g["outputs_raw"], np.load(project / "vectors" / "expected_raw.npy"))
    capsys.readouterr()
    assert regress_main(["check", str(project)]) == 0
    assert "200 golden vectors, bit-exact" in capsys.readouterr().out


def test_one_lsb_weight_change_fails_with_a_table(recorded_jet, jet_files, tmp_path, compile_cli, capsys):
    from trigger.cli import regress_main

    repo = _copy(recorded_jet, tmp_path)
    project = repo / "jet_prj"
    golden = (project / "vectors" / "golden.npz").read_bytes()
    change_one_weight_by_one_lsb(jet_files.model, repo / "jet.h5")
    run = compile_cli(repo / "jet.h5", "--target", "xcvu9p", "-o", project, "--force", "--no-cosim", "--no-synth")
    assert run.code == 0, run.err
    assert "golden:" in run.out and (project / "vectors" / "golden.npz").read_bytes() == golden  # kept by --force
    capsys.readouterr()
    assert regress_main(["check", str(project)]) == 3
    out, err = capsys.readouterr()
    assert "emulation (C simulation) differs from the golden outputs" in out
    first = re.search(r"first differing: vector (\d+), lane (\d+)", out)
    assert first and "| vector | lane | expected raw | got raw | expected | got |" in out
    row = re.search(r"^\| (\d+) \| (\d+) \| (-?\d+) \| (-?\d+) \|", out, re.MULTILINE)
    assert row.groups()[:2] == first.groups() and row.group(3) != row.group(4)
    assert "the model file changed since recording" in out
    assert "golden vectors differ" in err


def test_check_with_cosim_rebuilds_and_simulates_the_rtl(tiny_plain, tmp_path, capsys):
    from trigger.cli import regress_main

    project = tmp_path / "p"
    shutil.copytree(tiny_plain, project)
    assert regress_main(["record", str(project)]) == 0
    capsys.readouterr()
    assert regress_main(["check", str(project), "--cosim", "--simulator", "icarus"]) == 0
    out = capsys.readouterr().out
    assert "[5/6] cosim" in out and "50 golden vectors, bit-exact" in out
    # the tiny tagger's RTL includes its softmax: co-simulated at the output, golden vectors hold the logits
    assert "note: the RTL ends at softmax, past the golden outputs' output" in out


def test_bad_inputs_and_missing_golden_files_are_clear_errors(tiny_plain, tmp_path, capsys):
    from trigger.cli import regress_main

    project = tmp_path / "p"
    shutil.copytree(tiny_plain, project)
    assert regress_main(["check", str(project)]) == 2
    assert f"trigger-regress record {project}" in capsys.readouterr().err
    np.save(tmp_path / "x.npy", np.zeros((4, 7)))
    assert regress_main(["record", str(project), "--inputs", str(tmp_path / "x.npy")]) == 2
    err = capsys.readouterr().err
    assert "x.npy" in err and "(4, 7)" in err and "Traceback" not in err
    assert not list((project / "vectors").glob("golden.*"))
    assert regress_main(["record", str(project), "--model", str(tmp_path / "nope.h5")]) == 2
    assert "nope.h5: no such model file (--model)" in capsys.readouterr().err
