"""Anomaly-detection autoencoder on Level-1-style events, its anomaly score computed in the firmware: signal
efficiency at a fixed trigger rate, float vs QKeras (6-bit) vs firmware emulation.

One command, end to end (needs the physics extra, `pip install -e '.[physics]'`):

    .venv/bin/python examples/anomaly_detection/run.py [--n-background 3000] [--n-signal 300]
                                                      [--workers W | --scheduler ADDR]

1. generates events (trigger-data's generator on Dask, cached): a W/QCD/Z/ttbar background mixture and
   four BSM signals, 57 features (MET, 4 e/gamma, 4 muons, 10 jets);
2. standardises the features (background training set) and trains the float 57-32-8-32-57 autoencoder and
   its QKeras twin on background only (mean squared reconstruction error);
3. builds the score model from the trained QAT weights (`score_model.py`): one output, the anomaly score,
   the summed squared reconstruction error sum_i Q(x_i - reco_i)^2 (the input used twice), every type
   explicit (QKeras quantizers);
4. saves it (QKeras .h5) and compiles it with `trigger-compile` on the test events; asserts the compile's
   verdicts (emulation bit-exact at the output, the RTL covering the whole network and equal to the C
   simulation, co-simulation without a mismatch) and the firmware scores equal to the QAT model's as raw
   integers; counts saturated scores;
5. reports each signal's efficiency at a fixed background acceptance (default 2.5e-5: 1 kHz of the 40 MHz
   crossing rate) and at 1e-3, and plots score distributions and efficiency curves.
The trigger cut is then one comparison of the firmware's one output with a threshold. With a small
background sample, an acceptance below 1 / (test background events) is set by the hardest background event
only: the JSON says how many background events the threshold rests on.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

HERE = Path(__file__).resolve().parent
BUNCH_CROSSING_HZ = 40e6


def _score_model_module():
    """score_model.py beside this file (run.py is also loaded by file path, as a test's module)."""
    key = "example_anomaly_detection_score_model"
    if key not in sys.modules:
        spec = importlib.util.spec_from_file_location(key, HERE / "score_model.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[key] = module
        spec.loader.exec_module(module)
    return sys.modules[key]


sm = _score_model_module()


def load_events(
    n_background: int, n_signal: int, seed: int, workers: int | None = None, scheduler: str | None = None
) -> dict[str, np.ndarray]:
    """The event sample from the cache, generated on first use (Dask: `workers` local processes or the
    cluster at `scheduler`; the events depend on the seed only)."""
    from trigger.data import require_physics

    require_physics()
    from trigger.data import store
    from trigger.data.generate import generate_l1events
    from trigger.progress import bar

    rec = store.recipe("l1events", n_background=n_background, n_signal=n_signal, seed=seed)

    def make() -> dict[str, np.ndarray]:
        return generate_l1events(n_background, n_signal, seed, workers, bar("events"), scheduler=scheduler)

    path, hit = store.cached(rec, make)
    print(f"events: {path}{' (cached)' if hit else ''}")
    return store.load(path)


def float_twin(qat_model):
    """The same architecture without quantizers."""
    import tensorflow as tf

    inp = tf.keras.Input(qat_model.input_shape[1:], name="input_1")
    x = inp
    for layer in qat_model.layers[1:]:
        if "relu" in layer.name:
            x = tf.keras.layers.ReLU(name=layer.name)(x)
        else:
            x = tf.keras.layers.Dense(layer.units, name=layer.name)(x)
    return tf.keras.Model(inp, x, name="autoencoder_float")


def train_ae(model, x: np.ndarray, epochs: int, seed: int) -> None:
    """Learn to reconstruct the (background) inputs, mean squared error."""
    import tensorflow as tf

    tf.keras.utils.set_random_seed(seed)
    model.compile(optimizer=tf.keras.optimizers.Adam(2e-3), loss="mse")
    stop = tf.keras.callbacks.EarlyStopping(patience=5, restore_best_weights=True)
    model.fit(x, x, epochs=epochs, batch_size=256, validation_split=0.2, callbacks=[stop], verbose=0)


def float_scores(flt, x: np.ndarray) -> np.ndarray:
    """The float autoencoder's anomaly score, the score model's formula without quantization."""
    reco = flt.predict(x, verbose=0, batch_size=4096).astype(np.float64)
    return np.sum((x.astype(np.float64) - reco) ** 2, axis=1)


def firmware_scores(project: Path, samples: dict[str, np.ndarray], out: Path, cluster: list[str]) -> dict:
    """The firmware scores of every test sample: `trigger-emulate DIR DATA --out OUT.npz` (the project's bit-exact
    firmware model on Dask), one run per sample; returns {sample: OUT.npz path}."""
    from trigger.scale.emulate_cli import main as trigger_emulate

    files = {}
    out.mkdir(parents=True, exist_ok=True)
    for name, x in samples.items():
        data, scores = out / f"{name}_features.npy", out / f"{name}_scores.npz"
        np.save(data, x)
        code = trigger_emulate([str(project), str(data), "--out", str(scores), "--force", *cluster])
        if code != 0:
            raise SystemExit(f"trigger-emulate {project} {data}: exit code {code}")
        files[name] = scores
    return files


def rates(project: Path, files: dict[str, Path], rates_hz: list[float], out: Path) -> dict:
    """`trigger-rate`: the threshold on the firmware's integer grid for each rate, each signal's efficiency with
    its Clopper-Pearson interval; returns rate.json."""
    from trigger.scale.rate_cli import main as trigger_rate

    signals = [f"--signal={name}={path}" for name, path in files.items() if name != "background"]
    args = [str(project), "--background", str(files["background"]), *signals, "-o", str(out), "--force"]
    code = trigger_rate(args + [arg for r in rates_hz for arg in ("--rate-hz", f"{r:g}")])
    if code != 0:
        raise SystemExit(f"trigger-rate {project}: exit code {code}")
    return json.loads((out / "rate.json").read_text())


def qat_scores(score_qat, project: Path, score_type: sm.QuantizedBits, x: np.ndarray) -> np.ndarray:
    """The QAT score model's scores of `x` placed on the project's input grid (as the firmware places them), as
    raw integers of the score type (asserted on its grid)."""
    from trigger.input_layout import InputLayout

    index = json.loads((project / "vectors" / "index.json").read_text())
    x_grid = InputLayout.from_index(index["inputs"]).quantize(x.astype(np.float64))
    real = score_qat.predict(x_grid.reshape(len(x_grid), -1), verbose=0, batch_size=4096).reshape(-1)
    raw = np.round(real.astype(np.float64) / score_type.lsb).astype(np.int64)
    np.testing.assert_array_equal(raw * score_type.lsb, real)  # on the score type's grid
    return raw


def verdict(report: dict, output: str = sm.OUTPUT) -> dict:
    """Assert the compile's exactness verdicts: emulation bit-exact at the network's output layer `output`,
    the RTL covering the whole network and equal to the C simulation, co-simulation without a mismatch;
    their figures."""
    emulation, rtl, cosim = report.get("emulation", {}), report.get("rtl", {}), report.get("cosim", {})
    if emulation.get("mode") != "exact" or not emulation.get("bit_exact"):
        raise AssertionError(f"firmware emulation not bit-exact: {emulation.get('first_mismatch') or emulation}")
    if emulation.get("compared_at", {}).get("layer") != output or emulation.get("approximate_layers"):
        raise AssertionError(f"emulation compared at {emulation.get('compared_at')}, not at the output {output!r}")
    if not rtl.get("passed") or rtl.get("not_in_rtl") != []:
        raise AssertionError(f"RTL does not cover the network: {rtl.get('not_in_rtl_reason') or rtl.get('skipped')}")
    if not rtl["check"]["bit_exact"]:
        raise AssertionError(f"RTL differs from the C simulation: {rtl['check']['first_mismatch']}")
    if not cosim.get("passed") or cosim.get("mismatches") != 0:
        raise AssertionError(f"co-simulation did not pass: {cosim.get('skipped') or cosim.get('first_mismatch')}")
    return {
        "emulation_bit_exact": True,
        "compared_at": emulation["compared_at"]["layer"],
        "score_type_in_firmware": emulation["compared_at"]["precision"],
        "rtl_not_in_rtl": rtl["not_in_rtl"],
        "rtl_bit_exact_vs_csim": True,
        "rtl_vectors": rtl["check"]["n_vectors"],
        "cosim_vectors": cosim["n_vectors"],
        "cosim_mismatches": cosim["mismatches"],
        "latency_cycles": cosim["latency_cycles"],
        "clock_ns": report.get("latency", {}).get("clock_ns"),
        "resources": {k: v for k, v in report.get("resources", {}).items() if k in ("LUT", "FF", "DSP", "source")},
    }


def saturated_fraction(raw: np.ndarray, score: sm.QuantizedBits) -> float:
    """The fraction of scores at the top of the score type (saturated)."""
    top = round(score.max / score.lsb)
    return float(np.mean(np.asarray(raw) >= top))


def check_not_saturated(fraction: float, what: str) -> None:
    """A score type that saturates on background cuts nothing there: refuse it."""
    if fraction > 0:
        raise AssertionError(f"{fraction:.2%} of the {what} scores saturate the score type: widen it")


def at_acceptance(per: dict[str, np.ndarray], acceptance: float) -> dict:
    """Each signal's efficiency above the score threshold that keeps `acceptance` of the background, the
    threshold, and how many background events of this sample lie above it (below 1: statistics-limited)."""
    threshold = float(np.quantile(per["background"], 1.0 - acceptance))
    effs = {name: round(float(np.mean(s > threshold)), 4) for name, s in per.items() if name != "background"}
    return {
        "efficiency": effs,
        "threshold": round(threshold, 6),
        "background_events_above": round(acceptance * len(per["background"]), 3),
    }


def plot(scores: dict[str, dict[str, np.ndarray]], path: Path, acceptance: float) -> None:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11, 4))
    ax_hist, ax_eff = fig.subplots(1, 2)
    fw = scores["firmware"]
    lo = max(min(float(s.min()) for s in fw.values()), 1e-3)
    bins = np.logspace(np.log10(lo), np.log10(max(float(s.max()) for s in fw.values()) * 1.01), 50)
    for name, s in fw.items():
        ax_hist.hist(s, bins=bins, histtype="step", density=True, label=name)
    ax_hist.set_xscale("log")
    ax_hist.set_yscale("log")
    ax_hist.set_xlabel("anomaly score (firmware output)")
    ax_hist.legend(fontsize=7)
    acceptances = np.logspace(-5, 0, 60)
    styles = {"float": "-", "QAT": "--", "firmware": ":"}
    for model, per in scores.items():
        for i, (name, s) in enumerate(per.items()):
            if name == "background":
                continue
            effs = [np.mean(s > np.quantile(per["background"], 1 - a)) for a in acceptances]
            ax_eff.plot(acceptances, effs, styles[model], color=f"C{i}", label=f"{name} {model}")
    ax_eff.axvline(acceptance, color="gray", lw=0.8)
    ax_eff.set_xscale("log")
    ax_eff.set_xlabel("background acceptance (2.5e-5 = 1 kHz of 40 MHz)")
    ax_eff.set_ylabel("signal efficiency")
    ax_eff.legend(fontsize=5, ncol=3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def split(data: dict[str, np.ndarray], seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(standardised features as float32, training background rows, test rows: background then signals);
    the standardisation is the training background's."""
    x, signal = data["features"], data["is_signal"]
    bkg = np.nonzero(~signal)[0]
    np.random.default_rng(seed).shuffle(bkg)
    n_train = int(0.6 * len(bkg))
    train_idx = bkg[:n_train]
    mean, std = x[train_idx].mean(axis=0), x[train_idx].std(axis=0) + 1e-6
    xs = ((x - mean) / std).astype(np.float32)
    return xs, train_idx, np.concatenate([bkg[n_train:], np.nonzero(signal)[0]])


def per_process(s: np.ndarray, data: dict[str, np.ndarray], test_idx: np.ndarray) -> dict[str, np.ndarray]:
    """Scores of the test events by process: "background" (the mixture), then each signal."""
    proc, signal = data["process"][test_idx], data["is_signal"][test_idx]
    out = {"background": s[~signal]}
    for pi, name in enumerate(data["processes"]):
        if signal[proc == pi].any():
            out[str(name)] = s[proc == pi]
    return out


def compile_sample(test_idx: np.ndarray, n: int, seed: int) -> np.ndarray:
    """Positions (in the test rows) of the events the compile checks exactly: `n` drawn at random, signals
    among them in their share."""
    k = min(n, len(test_idx))
    return np.sort(np.random.default_rng(seed + 1).choice(len(test_idx), k, replace=False))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n-background", type=int, default=100_000)
    ap.add_argument("--n-signal", type=int, default=2000, help="events of each signal")
    ap.add_argument("--n-compile", type=int, default=2000, help="test events the compile checks (C-sim, RTL, cosim)")
    ap.add_argument("--epochs", type=int, default=60)
    ap.add_argument("--acceptance", type=float, default=2.5e-5, help="background acceptance of the trigger")
    ap.add_argument("--rate-hz", type=float, nargs="+", default=[1000.0, 10000.0], help="trigger rates (Hz)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", "--jobs", type=int, dest="workers", help="local Dask workers (default: all cores)")
    ap.add_argument("--scheduler", help="generate and emulate on the Dask cluster at this address")
    ap.add_argument("--target", default="xcvu9p")
    ap.add_argument("--synth", action="store_true", help="also synthesise the RTL with yosys (minutes)")
    ap.add_argument("--out", type=Path, default=Path("build/anomaly_detection"))
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    data = load_events(args.n_background, args.n_signal, args.seed, args.workers, args.scheduler)
    t_data = time.perf_counter() - t0
    xs, train_idx, test_idx = split(data, args.seed)
    x_test = xs[test_idx]

    import trigger
    from trigger.zoo import autoencoder

    qat = autoencoder()
    flt = float_twin(qat)
    t_train = time.perf_counter()
    train_ae(flt, xs[train_idx], args.epochs, args.seed)
    train_ae(qat, xs[train_idx], args.epochs, args.seed)
    t_train = time.perf_counter() - t_train
    score_qat = sm.build(qat)  # the trained QAT layers, with the score computed after them
    args.out.mkdir(parents=True, exist_ok=True)
    qat.save(args.out / "autoencoder_qat.h5")
    score_qat.save(args.out / "score_qat.h5")  # QKeras: qonnx 0.4 cannot export Multiply([t, t]) (see README)
    checked = compile_sample(test_idx, args.n_compile, args.seed)
    try:  # the Python API (trigger-compile on the command line does the same)
        compiled = trigger.compile(
            args.out / "score_qat.h5",
            target=args.target,
            out=args.out / "project",
            inputs=x_test[checked],
            force=True,
            synth=args.synth,
        )
    except trigger.TriggerError as exc:
        print(f"trigger.compile: {exc}", file=sys.stderr)
        return exc.exit_code
    project = compiled.dir
    firmware = verdict(compiled.report)
    score_type = sm.SCORE

    # every test event through the firmware model on Dask: one trigger-emulate run per sample, all on one
    # cluster (--scheduler, or a local one started here once)
    from trigger.scale.cluster import dask_client

    t_emulate = time.perf_counter()
    samples = per_process(x_test, data, test_idx)
    with dask_client(args.scheduler, None if args.scheduler else args.workers) as client:
        cluster = ["--scheduler", client.scheduler.address]
        files = firmware_scores(project, samples, args.out / "scores", cluster)
    t_emulate = time.perf_counter() - t_emulate
    fw_per = {name: np.load(f)["raw"][:, 0] for name, f in files.items()}
    qat_per = {name: qat_scores(score_qat, project, score_type, x) for name, x in samples.items()}
    for name in samples:  # bit for bit, as raw integers, on every test event
        np.testing.assert_array_equal(fw_per[name], qat_per[name], err_msg=name)
    compile_raw = np.load(project / "vectors" / "expected_raw.npy").reshape(-1)  # the C simulation's
    np.testing.assert_array_equal(compile_raw, per_order(fw_per, data, test_idx)[checked])

    rate = rates(project, files, args.rate_hz, args.out / "rate")
    values = {
        "float": per_process(float_scores(flt, x_test), data, test_idx),
        "QAT": {name: raw * score_type.lsb for name, raw in qat_per.items()},
        "firmware": {name: raw * score_type.lsb for name, raw in fw_per.items()},
    }
    saturated = {name: saturated_fraction(raw, score_type) for name, raw in fw_per.items()}
    check_not_saturated(saturated["background"], "test background")
    efficiencies = {
        model: {f"{acc:g}": at_acceptance(per, acc) for acc in (args.acceptance, 1e-3)} for model, per in values.items()
    }
    result = {
        "example": "anomaly_detection",
        "score": "sum of squared reconstruction errors (57 x MSE), computed in the firmware",
        "n_background": args.n_background,
        "n_signal_each": args.n_signal,
        "n_train_background": int(len(train_idx)),
        "n_test_background": int(len(fw_per["background"])),
        "n_test": int(len(x_test)),
        "n_compile_vectors": int(len(checked)),
        "seed": args.seed,
        "acceptance": args.acceptance,
        "trigger_rate_hz": args.acceptance * BUNCH_CROSSING_HZ,
        "efficiency": efficiencies,
        "rates": _rate_summary(rate),
        "firmware_equals_qat": f"all {len(x_test)} test events, raw integers (trigger-emulate vs QKeras)",
        "score_type": str(score_type),
        "score_lsb": score_type.lsb,
        "score_max": score_type.max,
        "saturated_fraction": saturated,
        "firmware": firmware,
        "seconds": {
            "generate": round(t_data, 1),
            "train": round(t_train, 1),
            "emulate": round(t_emulate, 1),
            "total": round(time.perf_counter() - t0, 1),
        },
        "project": str(project),
    }
    (args.out / "results.json").write_text(json.dumps(result, indent=2) + "\n")
    plot(values, args.out / "scores.png", args.acceptance)
    print(json.dumps(result["rates"], indent=1))
    print(f"wrote {args.out / 'results.json'}, {args.out / 'scores.png'} and {args.out / 'rate'}/")
    return 0


def per_order(per: dict[str, np.ndarray], data: dict[str, np.ndarray], test_idx: np.ndarray) -> np.ndarray:
    """Scores split by `per_process` put back in the test rows' order."""
    proc, signal = data["process"][test_idx], data["is_signal"][test_idx]
    out = np.empty(len(test_idx), dtype=per["background"].dtype)
    out[~signal] = per["background"]
    for pi, name in enumerate(data["processes"]):
        if str(name) in per and signal[proc == pi].any():
            out[proc == pi] = per[str(name)]
    return out


def _rate_summary(rate: dict) -> list[dict]:
    """Per requested rate: the threshold and each signal's efficiency with its interval (from rate.json)."""
    keep = ("requested_hz", "threshold", "background_count", "rate_hz", "rate_interval_hz", "rate_measured", "met")
    return [
        {
            **{k: r[k] for k in keep},
            "efficiency": {
                s: {k: e[k] for k in ("efficiency", "interval", "k", "n")} for s, e in r["efficiency"].items()
            },
            "warning": r["warning"],
        }
        for r in rate["rates"]
    ]


if __name__ == "__main__":
    sys.exit(main())
