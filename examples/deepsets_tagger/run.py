"""Deep Sets jet tagger on the jets' constituents: QKeras QAT, firmware bit for bit, beside the 16-feature MLP.

One command, end to end (needs the physics extra, `pip install -e '.[physics]'`):

    .venv/bin/python examples/deepsets_tagger/run.py [--n-per-class 2000] [--synth] [--out build/deepsets_tagger]

1. loads the jets of examples/jet_tagger (same generator settings, same cache, same train/test split):
   q, g, W, Z, t, their 16 hardest constituents (pT / jet pT, eta and phi relative to the jet axis);
2. scales each constituent feature by 1 / its standard deviation over the training jets' constituents
   (no shift: zero-padded constituents stay zero);
3. trains the Deep Sets network as a float model and as its QKeras twin (6-bit weights, biases and ReLUs):
   a per-particle network phi (Dense layers on the last axis, shared by the constituents: hls4ml's
   PointwiseConv1D), the mean over the constituents (GlobalAveragePooling1D: with 16 = 2^4 constituents
   the mean of 6-bit ReLU outputs is exact in fixed point), then rho (Dense layers) -> 5 logits -> softmax;
   and, as the reference, the QKeras 16-feature MLP of examples/jet_tagger on the same jets;
4. compiles the QAT model with `trigger.compile` (hls4ml C simulation, RTL with alkaid, Verilator
   co-simulation on the test jets; `--synth` adds yosys) and checks, raising AssertionError otherwise:
   the firmware emulation's logits equal the QAT model's as raw integers, the RTL equals the C simulation,
   the co-simulated RTL has no mismatch;
5. reports per-class ROC AUCs (softmax of the logits) and plots the ROC curves.
Writes OUT/results.json, OUT/roc.png, the models and the trigger project OUT/project/.
The firmware's own softmax is a lookup table (approximate by design): its AUCs are reported apart.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
import time
from pathlib import Path
from types import ModuleType

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

HERE = Path(__file__).resolve().parent


def sibling(name: str) -> ModuleType:
    """examples/<name>/run.py as a module (loaded once)."""
    key = f"example_{name}"
    if key not in sys.modules:
        spec = importlib.util.spec_from_file_location(key, HERE.parent / name / "run.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[key] = module
        spec.loader.exec_module(module)
    return sys.modules[key]


jt = sibling("jet_tagger")  # the jets, the MLP reference, training and metrics of examples/jet_tagger
CLASSES = jt.CLASSES
BITS = 6
MLP = "mlp_16_features_QAT"  # the reference's key in the results (plotted as "MLP")


# ---- data ----------------------------------------------------------------------------------------


def split(data: dict[str, np.ndarray], seed: int) -> tuple[np.ndarray, int]:
    """examples/jet_tagger's shuffle and split: (order of the jets, number of training jets)."""
    order = np.random.default_rng(seed).permutation(len(data["label"]))
    return order, int(0.75 * len(order))


def constituent_table(data: dict[str, np.ndarray], n_const: int) -> np.ndarray:
    """(n, n_const, 3): pT / jet pT, eta and phi relative to the jet axis, hardest first, zero-padded."""
    c = np.array(data["constituents"][:, :n_const, :], dtype=np.float64)
    c[..., 0] /= data["jet_pt"][:, None]
    return c


def scaled(table: np.ndarray, n_train: int) -> np.ndarray:
    """Each feature times 1 / its standard deviation over the training constituents (padding stays 0)."""
    real = table[:n_train][table[:n_train, :, 0] > 0]
    return (table / (real.std(axis=0) + 1e-12)).astype(np.float32)


# ---- models --------------------------------------------------------------------------------------


def dense_layer(units: int, name: str, bits: int | None):
    import tensorflow as tf

    if bits is None:
        return tf.keras.layers.Dense(units, name=name)
    from qkeras import QDense, quantized_bits

    q = quantized_bits(bits, 0, alpha=1)
    return QDense(units, kernel_quantizer=q, bias_quantizer=quantized_bits(bits, 0, alpha=1), name=name)


def relu_layer(name: str, bits: int | None):
    import tensorflow as tf

    if bits is None:
        return tf.keras.layers.ReLU(name=name)
    from qkeras import QActivation, quantized_relu

    return QActivation(quantized_relu(bits), name=name)


def deepsets(
    n_const: int = 16,
    n_feat: int = 3,
    phi: tuple[int, ...] = (16, 16),
    rho: tuple[int, ...] = (16,),
    n_classes: int = 5,
    bits: int | None = BITS,
):
    """Deep Sets tagger: phi per constituent, mean over constituents, rho, logits ('output'), softmax.

    `bits=None` gives the float twin (same layers and names, no quantizers).
    """
    import tensorflow as tf

    inp = tf.keras.Input((n_const, n_feat), name="input_1")
    x = inp
    for i, units in enumerate(phi, start=1):
        x = relu_layer(f"phi_relu{i}", bits)(dense_layer(units, f"phi{i}", bits)(x))
    x = tf.keras.layers.GlobalAveragePooling1D(name="mean")(x)
    for i, units in enumerate(rho, start=1):
        x = relu_layer(f"rho_relu{i}", bits)(dense_layer(units, f"rho{i}", bits)(x))
    x = dense_layer(n_classes, "output", bits)(x)
    out = tf.keras.layers.Activation("softmax", name="softmax")(x)
    return tf.keras.Model(inp, out, name="deepsets_tagger" if bits else "deepsets_tagger_float")


def train(model, x: np.ndarray, y: np.ndarray, epochs: int, seed: int, batch: int = 256, lr: float = 2e-3) -> None:
    """Adam on the cross entropy, 20% of the training jets for early stopping (best weights kept)."""
    import tensorflow as tf

    tf.keras.utils.set_random_seed(seed)
    model.compile(optimizer=tf.keras.optimizers.Adam(lr), loss="sparse_categorical_crossentropy")
    stop = tf.keras.callbacks.EarlyStopping(patience=15, restore_best_weights=True)
    model.fit(x, y, epochs=epochs, batch_size=batch, validation_split=0.2, callbacks=[stop], verbose=0)


def store_quantized(qat) -> None:
    """Replace each QKeras layer's float weights by their quantized values (QAT outputs are unchanged).

    hls4ml 1.3.0 turns a QDense on a (particles, features) input into a PointwiseConv1D and drops the
    QDense's quantizers on the way (ReplaceMultidimensionalDenseWithConv copies `weight_data` only): the
    convolution would truncate the float kernel to the quantizer's type instead of quantizing it as QKeras
    does.  Weights already on their grid make both the same.
    """
    import contextlib
    import io

    from qkeras.utils import model_save_quantized_weights

    with contextlib.redirect_stdout(io.StringIO()):  # it prints "... quantizing model"
        model_save_quantized_weights(qat)


def seeded(seed: int) -> None:
    """Seed Python, numpy and TensorFlow (weight initialisation happens when a model is built)."""
    import tensorflow as tf

    tf.keras.utils.set_random_seed(seed)


def mlp_reference(data: dict[str, np.ndarray], order: np.ndarray, n_train: int, epochs: int, seed: int) -> np.ndarray:
    """examples/jet_tagger's QKeras 16-64-32-32-5 MLP trained on the 16 jet features of the same training jets:
    its scores (softmax of the logits) on the test jets."""
    from trigger.zoo import jet_tagger

    x, y = data["features"][order], data["label"][order]
    mean, std = x[:n_train].mean(axis=0), x[:n_train].std(axis=0) + 1e-12
    x = ((x - mean) / std).astype(np.float32)
    seeded(seed)
    mlp = jet_tagger()
    jt.train(mlp, x[:n_train], y[:n_train], epochs, seed)
    return jt.softmax(jt.logits_of(mlp, x[n_train:]))


def fit(qat, flt, x_train: np.ndarray, y_train: np.ndarray, reference: dict, args: argparse.Namespace):
    """Train the float and the QAT model (then store the QAT weights on their grid) and, unless --no-mlp, the
    MLP reference (`reference`: data, order, n_train).  Returns (MLP test scores or None, seconds)."""
    t = time.perf_counter()
    train(flt, x_train, y_train, args.epochs, args.seed)
    train(qat, x_train, y_train, args.epochs, args.seed)
    store_quantized(qat)
    mlp = None if args.no_mlp else mlp_reference(**reference, epochs=min(args.epochs, 60), seed=args.seed)
    return mlp, time.perf_counter() - t


# ---- firmware ------------------------------------------------------------------------------------


def outputs_at(model, layer: str, x: np.ndarray) -> np.ndarray:
    """The model's output of layer `layer` (the compare point) for inputs x."""
    import tensorflow as tf

    return tf.keras.Model(model.input, model.get_layer(layer).output).predict(x, verbose=0, batch_size=2048)


def firmware_vs_qat(project: Path, qat) -> dict:
    """Assert the C simulation's raw integers at the compare point equal the QAT model's on the same inputs.

    Returns the compare point, its type, both raw arrays and the inputs on the input type's grid.
    """
    from trigger.fixed import fixed_type_from_str

    index = json.loads((project / "vectors" / "index.json").read_text())
    point = index["expected_raw"]
    out_type = fixed_type_from_str(point["type"])
    x_grid = np.load(project / "vectors" / "inputs.npy")
    fw_raw = np.load(project / "vectors" / "expected_raw.npy").reshape(len(x_grid), -1)
    qat_raw, on_grid = out_type.to_raw(outputs_at(qat, point["layer"], x_grid).reshape(len(x_grid), -1))
    if not on_grid.all():
        raise AssertionError(f"QAT outputs of {point['layer']} off the grid of {out_type}")
    np.testing.assert_array_equal(fw_raw, qat_raw, err_msg=f"firmware != QAT at {point['layer']} (raw integers)")
    return {"layer": point["layer"], "type": out_type, "fw_raw": fw_raw, "qat_raw": qat_raw, "x_grid": x_grid}


def rtl_verdict(report: dict) -> dict:
    """Assert the RTL equals the C simulation and its co-simulation has no mismatch; their figures."""
    rtl, cosim = report.get("rtl", {}), report.get("cosim", {})
    if not rtl.get("passed"):
        raise AssertionError(f"RTL check did not pass: {rtl.get('skipped') or rtl.get('check') or rtl}")
    if not rtl["check"]["bit_exact"]:
        raise AssertionError(f"RTL differs from the C simulation: {rtl['check']['first_mismatch']}")
    if not cosim.get("passed") or cosim.get("mismatches") != 0:
        raise AssertionError(f"co-simulation did not pass: {cosim.get('skipped') or cosim}")
    resources = report.get("resources", {})
    return {
        "rtl_bit_exact_vs_csim": True,
        "rtl_vectors": rtl["check"]["n_vectors"],
        "cosim_simulator": cosim.get("simulator"),
        "cosim_vectors": cosim["n_vectors"],
        "cosim_mismatches": cosim["mismatches"],
        "latency_cycles": cosim["latency_cycles"],
        "ii_cycles": cosim["ii_cycles"],
        "clock_ns": report.get("latency", {}).get("clock_ns"),
        "rtl_stages": rtl["stages"],
        "rtl_covers": rtl["covers"],
        "rtl_checked_at": rtl["check"]["layer"],
        "resources": {k: resources.get(k) for k in ("LUT", "FF", "DSP", "BRAM", "source") if k in resources},
    }


def compile_and_check(qat, x_test: np.ndarray, out: Path, args: argparse.Namespace) -> tuple[dict, dict, Path]:
    """trigger.compile the QAT model on the test inputs, then the exactness checks: (check, firmware figures,
    project directory).  With `args.no_rtl` only the C simulation is built and checked."""
    import trigger

    rtl = not args.no_rtl
    options = {"rtl": rtl, "cosim": rtl, "synth": args.synth and rtl}
    compiled = trigger.compile(qat, target=args.target, out=out / "project", inputs=x_test, force=True, **options)
    check = firmware_vs_qat(compiled.dir, qat)
    figures = rtl_verdict(compiled.report) if rtl else {"rtl": "not run (--no-rtl)"}
    return check, figures, compiled.dir


# ---- figures -------------------------------------------------------------------------------------


def plot_roc(y: np.ndarray, scores: dict[str, np.ndarray], path: Path, title: str) -> None:
    """Mistag rate vs efficiency per class; line style per model."""
    from matplotlib.figure import Figure
    from sklearn.metrics import roc_curve

    fig = Figure(figsize=(7, 5))
    ax = fig.subplots()
    styles = {MLP: "-.", "float": "-", "QAT": "--", "firmware": ":"}
    for i, c in enumerate(CLASSES):
        for name, s in scores.items():
            fpr, tpr, _ = roc_curve(y == i, s[:, i])
            label = f"{c} {'MLP' if name == MLP else name}"
            ax.plot(tpr, np.maximum(fpr, 1e-4), styles[name], color=f"C{i}", label=label)
    ax.set_yscale("log")
    ax.set_xlabel("signal efficiency (true positive rate)")
    ax.set_ylabel("mistag rate (false positive rate)")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=6, ncol=3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def evaluate(
    y_test: np.ndarray, flt, x_test: np.ndarray, check: dict, project: Path, mlp: np.ndarray | None
) -> tuple[dict, dict]:
    """Per-class test AUCs (softmax of the logits) and the scores: the MLP reference, the float model, the QAT
    model, the firmware emulation; and the firmware's own (lookup-table) softmax, AUCs only."""
    n = len(y_test)
    scores = {} if mlp is None else {MLP: mlp}
    scores["float"] = jt.softmax(outputs_at(flt, check["layer"], x_test).reshape(n, -1))
    scores["QAT"] = jt.softmax(check["type"].from_raw(check["qat_raw"]))
    scores["firmware"] = jt.softmax(check["type"].from_raw(check["fw_raw"]))
    auc = {name: jt.aucs(y_test, s) for name, s in scores.items()}
    lut = np.load(project / "vectors" / "emulation_output.npy").reshape(n, -1)
    auc["firmware_lut_softmax"] = jt.aucs(y_test, lut)
    return auc, scores


def compile_and_report(
    example: str, qat, flt, test: tuple[np.ndarray, np.ndarray], mlp, model: dict, args, times: dict, title: str
) -> dict:
    """Compile and check the QAT model, compute the AUCs, write OUT/results.json and OUT/roc.png.

    `times` holds `started` (time.perf_counter() at the start of the run) and the seconds spent so far."""
    x_test, y_test = test
    t = time.perf_counter()
    check, firmware, project = compile_and_check(qat, x_test, args.out, args)
    times["compile_seconds"] = round(time.perf_counter() - t, 1)
    auc, scores = evaluate(y_test, flt, x_test, check, project, mlp)
    n_test = len(x_test)
    result = {
        "example": example,
        "n_per_class": args.n_per_class,
        "n_train": int(args.n_per_class * len(CLASSES) - n_test),
        "n_test": int(n_test),
        "seed": args.seed,
        "model": {**model, "bits": BITS, "parameters": int(qat.count_params())},
        "auc": auc,
        "auc_mean": {name: round(float(np.mean(list(a.values()))), 4) for name, a in auc.items()},
        "firmware_equals_qat_at_logits": True,  # asserted by firmware_vs_qat
        "compare_point": check["layer"],
        "logits_type": str(check["type"]),
        "max_auc_gap_qat_vs_float": round(max(abs(auc["QAT"][c] - auc["float"][c]) for c in CLASSES), 4),
        "firmware": firmware,
        **{k: v for k, v in times.items() if k != "started"},
        "total_seconds": round(time.perf_counter() - times["started"], 1),
        "project": str(args.out / "project"),
    }
    (args.out / "results.json").write_text(json.dumps(result, indent=2) + "\n")
    plot_roc(y_test, scores, args.out / "roc.png", title)
    print(json.dumps({k: result[k] for k in ("auc_mean", "firmware_equals_qat_at_logits", "firmware")}))
    return result


def common_args(ap: argparse.ArgumentParser, out: str) -> None:
    """The options both constituent-level examples share."""
    ap.add_argument("--n-per-class", type=int, default=2000, help="jets per class (default 2000: jet_tagger's cache)")
    ap.add_argument("--epochs", type=int, default=200, help="at most (early stopping, patience 15)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--jobs", type=int, help="generator processes (default: all cores)")
    ap.add_argument("--target", default="xcvu9p")
    ap.add_argument("--synth", action="store_true", help="also synthesise the RTL with yosys (minutes)")
    ap.add_argument("--no-rtl", action="store_true", help="C simulation only: no RTL, co-simulation or synthesis")
    ap.add_argument("--no-mlp", action="store_true", help="skip the 16-feature MLP reference")
    ap.add_argument("--out", type=Path, default=Path(out))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    common_args(ap, "build/deepsets_tagger")
    ap.add_argument("--n-const", type=int, default=16, help="constituents per jet: 1, 2, 4, 8 or 16 (default 16)")
    ap.add_argument("--phi", type=int, nargs="+", default=[16, 16], help="per-particle layer widths")
    ap.add_argument("--rho", type=int, nargs="+", default=[16], help="widths after the mean")
    args = ap.parse_args(argv)
    if args.n_const not in (1, 2, 4, 8, 16):
        ap.error(
            "--n-const must be a power of two up to 16 (the stored 30, rounded down): the mean over the "
            "constituents is then exact in fixed point, as in the QAT model"
        )
    t0 = time.perf_counter()
    data = jt.load_jets(args.n_per_class, args.seed, args.jobs)
    order, n_train = split(data, args.seed)
    x = scaled(constituent_table(data, args.n_const)[order], n_train)
    y = data["label"][order]
    x_train, y_train, x_test, y_test = x[:n_train], y[:n_train], x[n_train:], y[n_train:]

    seeded(args.seed)
    qat = deepsets(args.n_const, phi=tuple(args.phi), rho=tuple(args.rho))
    flt = deepsets(args.n_const, phi=tuple(args.phi), rho=tuple(args.rho), bits=None)
    reference = {"data": data, "order": order, "n_train": n_train}
    mlp, t_train = fit(qat, flt, x_train, y_train, reference, args)
    args.out.mkdir(parents=True, exist_ok=True)
    qat.save(args.out / "deepsets_qat.h5")
    flt.save(args.out / "deepsets_float.h5")
    np.save(args.out / "test_constituents.npy", x_test)
    model = {
        "inputs": [args.n_const, 3],
        "features": ["pT / jet pT", "eta - jet eta", "phi - jet phi"],
        "phi": args.phi,
        "pooling": "mean (GlobalAveragePooling1D)",
        "rho": args.rho,
    }
    times = {"started": t0, "train_seconds": round(t_train, 1)}
    title = "Deep Sets tagger: 16-feature MLP (dash-dot), float (solid), QAT (dashed), firmware (dotted)"
    compile_and_report("deepsets_tagger", qat, flt, (x_test, y_test), mlp, model, args, times, title)
    print(f"wrote {args.out / 'results.json'} and {args.out / 'roc.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
