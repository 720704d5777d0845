"""Anomaly-detection autoencoder on Level-1-style events: signal efficiency at a fixed trigger rate,
float vs QKeras (6-bit) vs firmware emulation.

One command, end to end (needs the physics extra, `pip install -e '.[physics]'`):

    .venv/bin/python examples/anomaly_detection/run.py [--n-background 3000] [--n-signal 300]

1. generates events (trigger-data's generator, cached): a W/QCD/Z/ttbar background mixture and four BSM
   signals, 57 features (MET, 4 e/gamma, 4 muons, 10 jets);
2. standardises the features (background training set) and trains the float 57-32-8-32-57 autoencoder and
   its QKeras twin on background only;
3. exports the QAT model to QONNX and compiles it with `trigger-compile` on the test events;
4. asserts the firmware emulation's reconstruction (hls4ml C simulation, raw fixed point) equals the QAT
   model's exactly; the anomaly score is the mean squared reconstruction error (computed in float from
   the reconstruction);
5. reports each signal's efficiency at a fixed background acceptance (default 2.5e-5: 1 kHz of the 40 MHz
   crossing rate) and at 1e-3, and plots score distributions and efficiency curves.
With a small background sample, an acceptance below 1 / (test background events) is set by the hardest
background event only: the JSON says how many background events the threshold rests on.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

BUNCH_CROSSING_HZ = 40e6


def load_events(n_background: int, n_signal: int, seed: int, jobs: int | None) -> dict[str, np.ndarray]:
    """The event sample from the cache, generated on first use."""
    from trigger.data import require_physics

    require_physics()
    from trigger.data import store
    from trigger.data.generate import generate_l1events
    from trigger.progress import bar

    rec = store.recipe("l1events", n_background=n_background, n_signal=n_signal, seed=seed)
    path, hit = store.cached(rec, lambda: generate_l1events(n_background, n_signal, seed, jobs, bar("events")))
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


def plot(scores: dict[str, dict[str, np.ndarray]], path: Path) -> None:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11, 4))
    ax_hist, ax_eff = fig.subplots(1, 2)
    fw = scores["firmware"]
    lo = max(min(float(s.min()) for s in fw.values()), 1e-4)
    bins = np.logspace(np.log10(lo), np.log10(max(float(s.max()) for s in fw.values())), 50)
    for name, s in fw.items():
        ax_hist.hist(s, bins=bins, histtype="step", density=True, label=name)
    ax_hist.set_xscale("log")
    ax_hist.set_yscale("log")
    ax_hist.set_xlabel("anomaly score (firmware emulation)")
    ax_hist.legend(fontsize=7)
    acceptances = np.logspace(-5, 0, 60)
    styles = {"float": "-", "QAT": "--", "firmware": ":"}
    for model, per in scores.items():
        for i, (name, s) in enumerate(per.items()):
            if name == "background":
                continue
            effs = [np.mean(s > np.quantile(per["background"], 1 - a)) for a in acceptances]
            ax_eff.plot(acceptances, effs, styles[model], color=f"C{i}", label=f"{name} {model}")
    ax_eff.axvline(2.5e-5, color="gray", lw=0.8)
    ax_eff.set_xscale("log")
    ax_eff.set_xlabel("background acceptance (2.5e-5 = 1 kHz of 40 MHz)")
    ax_eff.set_ylabel("signal efficiency")
    ax_eff.legend(fontsize=5, ncol=3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n-background", type=int, default=3000)
    ap.add_argument("--n-signal", type=int, default=300, help="events of each signal")
    ap.add_argument("--epochs", type=int, default=60)
    ap.add_argument("--acceptance", type=float, default=2.5e-5, help="background acceptance of the trigger")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--jobs", type=int, help="generator processes (default: all cores)")
    ap.add_argument("--target", default="xcvu9p")
    ap.add_argument("--synth", action="store_true", help="also synthesise the RTL with yosys (minutes)")
    ap.add_argument("--out", type=Path, default=Path("build/anomaly_detection"))
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    data = load_events(args.n_background, args.n_signal, args.seed, args.jobs)
    x, proc, names = data["features"], data["process"], list(data["processes"])
    signal = data["is_signal"]
    rng = np.random.default_rng(args.seed)
    bkg = np.nonzero(~signal)[0]
    rng.shuffle(bkg)
    n_train = int(0.6 * len(bkg))
    train_idx, test_bkg = bkg[:n_train], bkg[n_train:]
    mean, std = x[train_idx].mean(axis=0), x[train_idx].std(axis=0) + 1e-6
    xs = ((x - mean) / std).astype(np.float32)
    test_idx = np.concatenate([test_bkg, np.nonzero(signal)[0]])
    x_test = xs[test_idx]

    import trigger
    from trigger.fixed import fixed_type_from_str
    from trigger.qonnx_export import keras_to_qonnx
    from trigger.zoo import autoencoder

    qat = autoencoder()
    flt = float_twin(qat)
    t_train = time.perf_counter()
    train_ae(flt, xs[train_idx], args.epochs, args.seed)
    train_ae(qat, xs[train_idx], args.epochs, args.seed)
    t_train = time.perf_counter() - t_train
    args.out.mkdir(parents=True, exist_ok=True)
    qat.save(args.out / "autoencoder_qat.h5")
    keras_to_qonnx(qat, args.out / "autoencoder_qat.onnx")
    np.save(args.out / "test_features.npy", x_test)
    try:  # the Python API (trigger-compile on the command line does the same)
        compiled = trigger.compile(
            args.out / "autoencoder_qat.onnx",
            target=args.target,
            out=args.out / "project",
            inputs=x_test,
            force=True,
            synth=args.synth,
        )
    except trigger.TriggerError as exc:
        print(f"trigger.compile: {exc}", file=sys.stderr)
        return exc.exit_code
    project = compiled.dir
    index = json.loads((project / "vectors" / "index.json").read_text())
    out_type = fixed_type_from_str(index["expected_raw"]["type"])
    fw_raw = np.load(project / "vectors" / "expected_raw.npy").reshape(len(x_test), -1)
    x_grid = np.load(project / "vectors" / "inputs.npy").reshape(len(x_test), -1)
    qat_raw, on_grid = out_type.to_raw(qat.predict(x_grid, verbose=0, batch_size=4096))
    assert on_grid.all(), "QAT reconstruction off the output type's grid"
    np.testing.assert_array_equal(fw_raw, qat_raw)  # bit for bit, as raw integers

    def mse(reco: np.ndarray, inputs: np.ndarray) -> np.ndarray:
        return np.mean((np.asarray(reco, dtype=np.float64) - inputs) ** 2, axis=1)

    recos = {
        "float": flt.predict(x_test, verbose=0, batch_size=4096),
        "QAT": out_type.from_raw(qat_raw),
        "firmware": out_type.from_raw(fw_raw),
    }
    inputs = {"float": x_test.astype(np.float64), "QAT": x_grid, "firmware": x_grid}
    test_proc = proc[test_idx]
    scores = {}
    for model, reco in recos.items():
        s = mse(reco, inputs[model])
        scores[model] = {"background": s[~signal[test_idx]]}
        for pi, name in enumerate(names):
            if signal[test_idx][test_proc == pi].any():
                scores[model][name] = s[test_proc == pi]
    efficiencies = {
        model: {f"{acc:g}": at_acceptance(per, acc) for acc in (args.acceptance, 1e-3)} for model, per in scores.items()
    }
    result = {
        "example": "anomaly_detection",
        "n_background": args.n_background,
        "n_signal_each": args.n_signal,
        "n_train_background": int(n_train),
        "n_test_background": int(len(test_bkg)),
        "seed": args.seed,
        "acceptance": args.acceptance,
        "trigger_rate_hz": args.acceptance * BUNCH_CROSSING_HZ,
        "efficiency": efficiencies,
        "firmware_equals_qat": True,
        "reconstruction_type": str(out_type),
        "train_seconds": round(t_train, 1),
        "total_seconds": round(time.perf_counter() - t0, 1),
        "project": str(project),
    }
    (args.out / "results.json").write_text(json.dumps(result, indent=2) + "\n")
    plot(scores, args.out / "scores.png")
    print(json.dumps(result["efficiency"]["firmware"]))
    print(f"wrote {args.out / 'results.json'} and {args.out / 'scores.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
