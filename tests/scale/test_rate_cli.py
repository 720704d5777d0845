"""trigger-rate end to end on synthetic trigger-emulate outputs: the JSON a known distribution gives, the warning,
--force, streaming the lane out of plain, compressed and Fortran-order files, every bad input (exit 2, named,
nothing written) and a wrong threshold caught by the recount (exit 3, nothing written)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from trigger.scale import rate, rate_cli, score_files

TYPE = "fixed<18,7>"  # frac = 11
FRAC = 11


def scores_file(path: Path, raw, *, output_type=TYPE, frac=FRAC, layer="out", meta=None, drop=(), **extra) -> Path:
    """A trigger-emulate OUT.npz of raw integer scores (N, lanes)."""
    raw = np.asarray(raw, dtype=np.int64)
    arrays = {
        "raw": raw,
        "value": raw * 2.0**-frac,
        "frac": np.int64(frac),
        "output_type": np.array(output_type),
        "output_layer": np.array(layer),
        "meta": np.array(json.dumps(meta if meta is not None else {"source": path.name})),
        **extra,
    }
    np.savez(path, **{k: v for k, v in arrays.items() if k not in drop})
    return path


@pytest.fixture
def setup(tmp_path):
    """A project whose report.json names the output type; background 0..999 (lane 0) and one signal."""
    project = tmp_path / "proj"
    project.mkdir()
    layers = [{"name": "in", "type": "Input", "precision": "fixed<16,6,TRN,WRAP,0>"}]
    layers.append({"name": "out", "type": "Dense", "precision": "fixed<18,7,TRN,WRAP,0>"})
    (project / "report.json").write_text(json.dumps({"model": {"name": "tagger", "layers": layers}}))
    bg_raw = np.stack([np.arange(1000), np.arange(1000)[::-1] * 3], axis=1)  # lane 1 is something else
    sig_raw = np.stack([np.arange(980, 1000), np.zeros(20, dtype=np.int64)], axis=1)  # 10 of 20 above 990
    bg = scores_file(tmp_path / "bg.npz", bg_raw, meta={"events": 1000, "project": str(project)})
    sig = scores_file(tmp_path / "sig.npz", sig_raw)
    return project, bg, sig


def run(argv: list[str]) -> int:
    """main's exit code, argparse's usage errors included."""
    try:
        return rate_cli.main([str(a) for a in argv])
    except SystemExit as exc:
        return exc.code


def base(project, bg, sig, *more) -> list:
    return [project, "--background", bg, "--signal", f"hh={sig}", "--collision-hz", "1e6", "--rate-hz", "1e4", *more]


def test_end_to_end_json(setup, capsys):
    project, bg, sig = setup
    assert run(base(project, bg, sig, "--rate-hz", "9000")) == 0
    out = project / "rate"
    assert sorted(p.name for p in out.iterdir()) == ["curve.npz", "rate.json", "rate.md", "rate.png"]
    doc = json.loads((out / "rate.json").read_text())
    assert doc["project"]["dir"] == str(project.resolve())
    assert doc["project"]["model"] == "tagger"
    assert doc["project"]["type_check"] == {
        "checked": True,
        "why": None,
        "layer": "out",
        "type": "fixed<18,7,TRN,WRAP,0>",
        "final_layer": "out",
        "final_type": "fixed<18,7,TRN,WRAP,0>",
    }
    assert doc["scores"] == {"output_layer": "out", "output_type": TYPE, "frac": FRAC, "lane": 0, "lanes": 2,
                             "lsb": 2.0**-FRAC}  # fmt: skip
    assert doc["background"]["events"] == 1000 and doc["background"]["distinct_scores"] == 1000
    assert doc["background"]["meta"]["events"] == 1000
    assert list(doc["signals"]) == ["hh"] and doc["signals"]["hh"]["events"] == 20
    r9k, r10k = doc["rates"]  # sorted by rate
    assert r10k["requested_hz"] == 1e4 and r10k["max_background_count"] == 10
    assert r10k["threshold"] == {"raw": 990, "value": 990 * 2.0**-FRAC}
    assert (r10k["background_count"], r10k["rate_hz"], r10k["background_acceptance"]) == (10, 1e4, 0.01)
    assert r10k["rate_measured"] is True and r10k["warning"] is None
    assert r10k["met"] == "exactly" and r10k["note"] is None
    assert r10k["lower_threshold"] == {
        "raw": 989, "value": 989 * 2.0**-FRAC, "background_count": 11, "rate_hz": 11_000.0, "events_at_score": 1,
    }  # fmt: skip
    eff = r10k["efficiency"]["hh"]
    assert (eff["k"], eff["n"], eff["efficiency"]) == (10, 20, 0.5)
    lo, hi = rate.clopper_pearson(10, 20, 0.6827)
    assert eff["interval"] == [float(lo), float(hi)]
    assert (r9k["threshold"]["raw"], r9k["background_count"], r9k["rate_measured"]) == (991, 9, False)
    assert r9k["rate_upper_limit_hz"] == float(rate.clopper_pearson(9, 1000, 0.6827)[1]) * 1e6
    assert doc["warnings"] == [r9k["warning"]] and "fewer than 10" in r9k["warning"]
    assert doc["check"]["passed"] is True
    assert doc["curve"] == {"file": "curve.npz", "points": 1001}
    err = capsys.readouterr().err
    assert "warning: rate 9000 Hz: only 9 background events" in err
    md = (out / "rate.md").read_text()
    assert "| 10000 | 990 |" in md and "0.5000 [" in md and "9 (!)" in md and "## Warnings" in md
    with np.load(out / "curve.npz") as c:
        np.testing.assert_array_equal(c["threshold_raw"], np.arange(1001))
        np.testing.assert_array_equal(c["background_count"], 1000 - np.arange(1001))
        np.testing.assert_array_equal(c["signal_names"], ["hh"])
        np.testing.assert_array_equal(c["signal_count"][0], np.clip(1000 - np.maximum(np.arange(1001), 980), 0, 20))
    assert (out / "rate.png").read_bytes()[:4] == b"\x89PNG"
    check_documented(doc, out / "curve.npz")


DOCS = Path(__file__).resolve().parents[2] / "docs" / "rate.md"


def documented(section: str) -> set[str]:
    """The first-column keys of the tables in a section of docs/rate.md."""
    text = DOCS.read_text().split(f"## {section}\n", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `([^`]+)` \|", text, flags=re.M))


def check_documented(doc: dict, curve: Path) -> None:
    """docs/rate.md lists every key rate.json has (top level, project, rates entries) and every curve.npz array,
    and nothing that is not there."""
    keys = documented("rate.json")
    entry = doc["rates"][0]
    assert [k for k in doc if k not in keys and not any(d.startswith(k + ".") for d in keys)] == []
    assert [k for k in doc["project"] if f"project.{k}" not in keys] == []
    assert [k for k in entry if k not in keys] == []
    assert [d for d in keys if d.split(".")[0] not in doc and d not in entry] == []
    with np.load(curve) as c:
        assert set(c.files) == documented("curve.npz")


def test_documentation_check_sees_an_undocumented_key(setup):
    with pytest.raises(AssertionError):
        check_documented({"rates": [{"threshold": {}}], "project": {}, "surprise": 1}, Path("unused"))


def test_other_lane_without_signals_and_force(setup):
    project, bg, _ = setup
    out = project.parent / "elsewhere" / "r"
    argv = [project, "--background", bg, "--collision-hz", "1e6", "--rate-hz", "1e4", "--output-lane", "1", "-o", out]
    assert run(argv) == 0
    doc = json.loads((out / "rate.json").read_text())
    # lane 1 holds 0, 3, ..., 2997: ten events allowed -> the ten largest, >= 2970, so t = 2968
    assert (doc["rates"][0]["threshold"]["raw"], doc["rates"][0]["background_count"]) == (2968, 10)
    assert doc["signals"] == {}
    (out / "stale").write_text("x")
    assert run(argv) == 2  # exists, no --force
    assert run([*argv, "--force"]) == 0
    assert not (out / "stale").exists()
    assert not any(p.name.startswith(".") for p in out.parent.iterdir())  # no staging directory left


def test_ties_reported_in_json(tmp_path):
    project = tmp_path / "p"
    project.mkdir()  # no report.json: the type is not checked, and that is said
    raw = np.concatenate([np.arange(10), np.full(50, 10), np.full(2, 11)])[:, None]
    bg = scores_file(tmp_path / "bg.npz", raw)
    assert run([project, "--background", bg, "--collision-hz", "62000", "--rate-hz", "10000"]) == 0
    doc = json.loads((project / "rate" / "rate.json").read_text())
    assert doc["project"]["type_check"] == dict.fromkeys(["why", "layer", "type", "final_layer", "final_type"]) | {
        "checked": False,
        "why": "no report.json",
    }
    (r,) = doc["rates"]
    assert (r["threshold"]["raw"], r["background_count"], r["rate_hz"], r["met"]) == (11, 2, 2000.0, "from below")
    assert r["lower_threshold"]["events_at_score"] == 50 and r["lower_threshold"]["rate_hz"] == 52000.0
    assert "50 background events share the score 10" in r["note"]


@pytest.mark.parametrize("form", ["compressed", "fortran", "int32"])
def test_lane_streamed_from_every_npz_form(tmp_path, monkeypatch, form):
    raw = np.random.default_rng(3).integers(-5000, 5000, size=(1234, 3))
    path = tmp_path / "s.npz"
    if form == "fortran":
        scores_file(path, np.asfortranarray(raw))
    elif form == "int32":
        np.savez(path, raw=raw.astype(np.int32), frac=np.int64(FRAC), output_type=np.array(TYPE))
    else:
        arrays = {"raw": raw, "frac": np.int64(FRAC), "output_type": np.array(TYPE)}
        np.savez_compressed(path, **arrays)
    monkeypatch.setattr(score_files, "CHUNK_BYTES", 1000)  # many chunks, a last short one
    sf = score_files.read_header("background", path)
    assert (sf.n, sf.lanes, sf.frac, sf.output_type) == (1234, 3, FRAC, TYPE)
    for lane in range(3):
        got = score_files.read_lane(sf, lane)
        assert got.dtype == np.int64
        np.testing.assert_array_equal(got, raw[:, lane])


def test_progress_is_reported_for_a_large_file(tmp_path, monkeypatch, capsys):
    path = scores_file(tmp_path / "s.npz", np.arange(5000)[:, None])
    monkeypatch.setattr(score_files, "CHUNK_BYTES", 8000)
    sf = score_files.read_header("background", path)
    score_files.read_lane(sf, 0, score_files._progress(sf))
    err = capsys.readouterr().err
    assert "reading s.npz" in err and "5000/5000" in err


# --- bad input: exit 2, the file or option named, nothing written ---------------------------------------------------


def _bad(tmp_path, setup, case):
    """(argv, text the message must hold) for one bad input."""
    project, bg, sig = setup
    two = np.stack([np.arange(10), np.arange(10)], axis=1)
    if case == "missing background":
        return base(project, tmp_path / "nope.npz", sig), "nope.npz (--background): no such file"
    if case == "missing signal":
        return base(project, bg, tmp_path / "gone.npz"), "gone.npz (--signal hh): no such file"
    if case == "missing project":
        return base(tmp_path / "noproj", bg, sig), "noproj: no such directory"
    if case == "signal without =":
        return [project, "--background", bg, "--signal", str(sig), "--rate-hz", "10"], f"--signal '{sig}'"
    if case == "signal without name":
        return [project, "--background", bg, "--signal", f"={sig}", "--rate-hz", "10"], "--signal '="
    if case == "signal without file":
        return [project, "--background", bg, "--signal", "hh=", "--rate-hz", "10"], "--signal 'hh='"
    if case == "duplicate name":
        return [*base(project, bg, sig), "--signal", f"hh={bg}"], "the name hh is given twice"
    if case == "no raw":
        f = scores_file(tmp_path / "noraw.npz", two, drop=("raw",))
        return base(project, bg, f), "noraw.npz: no 'raw' array"
    if case == "not an npz":
        f = tmp_path / "text.npz"
        f.write_text("not a zip")
        return base(project, bg, f), "text.npz: not a readable .npz file"
    if case == "float raw":
        f = tmp_path / "float.npz"
        np.savez(f, raw=two * 0.5, frac=np.int64(FRAC), output_type=np.array(TYPE))
        return base(project, bg, f), "float.npz: 'raw' must hold integers"
    if case == "1-d raw":
        f = scores_file(tmp_path / "flat.npz", np.arange(5))
        return base(project, bg, f), "flat.npz: 'raw' must have shape (events, lanes)"
    if case == "lane out of range":
        return [*base(project, bg, sig), "--output-lane", "2"], "--output-lane 2:"
    if case == "lane counts differ":
        f = scores_file(tmp_path / "three.npz", np.zeros((4, 3)))
        return base(project, bg, f), "three.npz: 'raw' has 3 lanes"
    if case == "output types differ":
        f = scores_file(tmp_path / "other.npz", two, output_type="fixed<20,9>", frac=11)
        return base(project, bg, f), "other.npz: scores out fixed<20,9>"
    if case == "output layers differ":
        f = scores_file(tmp_path / "layer.npz", two, layer="logits")
        return base(project, bg, f), "layer.npz: scores logits"
    if case == "frac contradicts type":
        f = scores_file(tmp_path / "frac.npz", two, frac=10)
        return base(project, bg, f), "frac.npz: frac 10 contradicts output_type fixed<18,7>"
    if case == "type not fixed":
        f = scores_file(tmp_path / "float_type.npz", two, output_type="float")
        return base(project, f, sig), "float_type.npz: output_type 'float' is not a fixed-point type"
    if case == "meta not json":
        f = scores_file(tmp_path / "meta.npz", two)
        with np.load(f) as d:
            arrays = {k: d[k] for k in d.files}
        np.savez(f, **{**arrays, "meta": np.array("{oops")})
        return base(project, bg, f), "meta.npz: 'meta' is not JSON"
    if case == "meta with nan":
        f = scores_file(tmp_path / "nan.npz", two)
        with np.load(f) as d:
            arrays = {k: d[k] for k in d.files}
        np.savez(f, **{**arrays, "meta": np.array('{"x": NaN}')})
        return base(project, bg, f), "nan.npz: 'meta' is not JSON (NaN is not a JSON number)"
    if case == "type differs from project":
        project2 = tmp_path / "proj2"
        project2.mkdir()
        layers = [{"name": "out", "type": "Dense", "precision": "fixed<16,6,TRN,WRAP,0>"}]
        (project2 / "report.json").write_text(json.dumps({"model": {"name": "m", "layers": layers}}))
        return base(project2, bg, sig), "differs from the project's out type fixed<16,6,TRN,WRAP,0>"
    if case == "layer not in project":
        f = scores_file(tmp_path / "bg_logits.npz", two, layer="logits")
        g = scores_file(tmp_path / "sig_logits.npz", two, layer="logits")
        return base(project, f, g), "output_layer 'logits' is not a layer of"
    if case == "broken report":
        project3 = tmp_path / "proj3"
        project3.mkdir()
        (project3 / "report.json").write_text("{")
        return base(project3, bg, sig), "report.json: not a readable report.json"
    if case == "rate zero":
        return [*base(project, bg, sig), "--rate-hz", "0"], "--rate-hz: '0' must be a finite number above 0"
    if case == "rate negative":
        return [*base(project, bg, sig), "--rate-hz=-5"], "--rate-hz"
    if case == "rate at collision":
        return [*base(project, bg, sig), "--rate-hz", "1e6"], "--rate-hz 1e+06: must be below the collision rate"
    if case == "cl out of range":
        return [*base(project, bg, sig), "--cl", "1"], "--cl: '1' must be strictly between 0 and 1"
    if case == "empty background":
        f = scores_file(tmp_path / "empty.npz", np.zeros((0, 2)))
        return base(project, f, sig), "empty.npz: no events (an empty background)"
    if case == "empty signal":
        f = scores_file(tmp_path / "empty_sig.npz", np.zeros((0, 2)))
        return base(project, bg, f), "empty_sig.npz: no events (an empty signal)"
    if case == "outdir under a file":
        return [*base(project, bg, sig), "-o", bg / "r"], "bg.npz is a file, not a directory"
    if case == "outdir exists":
        (project / "rate").mkdir()
        return base(project, bg, sig), "rate: output directory exists; pass --force"
    if case == "outdir holds an input":
        return [*base(project, bg, sig), "-o", tmp_path, "--force"], "which trigger-rate reads"
    raise AssertionError(case)


BAD = """
missing background
missing signal
missing project
signal without =
signal without name
signal without file
duplicate name
no raw
not an npz
float raw
1-d raw
lane out of range
lane counts differ
output types differ
output layers differ
frac contradicts type
type not fixed
meta not json
meta with nan
type differs from project
layer not in project
broken report
rate zero
rate negative
rate at collision
cl out of range
empty background
empty signal
outdir under a file
outdir exists
outdir holds an input
""".strip().splitlines()


@pytest.mark.parametrize("case", BAD)
def test_bad_input_exit_2_named_nothing_written(tmp_path, setup, capsys, case):
    argv, named = _bad(tmp_path, setup, case)
    before = sorted(p for p in tmp_path.rglob("*"))
    assert run(argv) == 2
    err = capsys.readouterr().err
    assert named in err, err
    assert sorted(p for p in tmp_path.rglob("*")) == before  # no OUTDIR, nothing else
    assert "Traceback" not in err


@pytest.mark.parametrize(
    "shift, message",
    [
        (+1, "threshold 991 is not the smallest: 990 accepts 10 background events, within the 10 allowed"),
        (-1, "threshold 989 accepts 11 background events, more than the 10 allowed"),
    ],
)
def test_a_threshold_one_lsb_off_is_caught_by_the_recount(setup, monkeypatch, capsys, shift, message):
    """threshold_for deliberately one raw LSB off: the recount on the events fails, exit 3, nothing written."""
    project, bg, sig = setup
    right = rate.threshold_for

    def off_by_one(background, max_count):
        cut = right(background, max_count)
        return rate.Cut(cut.threshold + shift, cut.background_count, cut.lower_count, cut.tied_below, max_count)

    monkeypatch.setattr(rate, "threshold_for", off_by_one)
    assert run(base(project, bg, sig)) == 3
    err = capsys.readouterr().err
    assert "threshold recount failed, nothing written" in err
    assert message in err
    assert f"background: {10 - shift} events at or above {990 + shift}, reported 10" in err
    assert not (project / "rate").exists()


def test_a_wrong_signal_count_is_caught_by_the_recount(setup, monkeypatch, capsys):
    """efficiency deliberately counting one event too many: exit 3, the signal named."""
    project, bg, sig = setup
    right = rate.efficiency

    def one_more(signal, threshold, cl):
        e = right(signal, threshold, cl)
        return rate.Efficiency(e.k + 1, e.n, e.lo, e.hi)

    monkeypatch.setattr(rate, "efficiency", one_more)
    assert run(base(project, bg, sig)) == 3
    assert "hh: 10 events at or above 990, reported 11" in capsys.readouterr().err
    assert not (project / "rate").exists()
