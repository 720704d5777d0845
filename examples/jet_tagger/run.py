"""QAT jet tagger on Pythia jets: float vs QKeras (6-bit) vs firmware emulation, per-class ROC AUC.

One command, end to end (needs the physics extra, `pip install -e '.[physics]'`):

    .venv/bin/python examples/jet_tagger/run.py [--n-per-class 2000] [--out build/jet_tagger]

1. generates jets (trigger-data's generator, cached): q, g, W, Z, t, the 16 hls4ml features;
2. standardises the features (mean and width of the training set; in a trigger this happens upstream);
3. trains the float 16-64-32-32-5 MLP and its QKeras twin (6-bit weights, biases and ReLUs);
4. exports the QAT model to QONNX and compiles it with `trigger-compile` on the test jets;
5. takes the firmware emulation's logits (hls4ml C simulation, raw fixed point) and asserts they equal
   the QAT model's exactly; computes per-class AUCs (softmax of the logits) and plots the ROC curves.
   The firmware's own softmax is a lookup table (approximate by design): its AUCs are reported apart.
Writes OUT/results.json, OUT/roc.png, the models and the trigger project OUT/project/.
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

CLASSES = ("q", "g", "W", "Z", "t")


def load_jets(n_per_class: int, seed: int, jobs: int | None) -> dict[str, np.ndarray]:
    """The jet sample from the cache, generated on first use."""
    from trigger.data import require_physics

    require_physics()
    from trigger.data import store
    from trigger.data.generate import generate_jets
    from trigger.progress import bar

    rec = store.recipe("jets", n_per_class=n_per_class, seed=seed)
    path, hit = store.cached(rec, lambda: generate_jets(n_per_class, seed, jobs, bar("jets")))
    print(f"jets: {path}{' (cached)' if hit else ''}")
    return store.load(path)


def standardised_split(data: dict[str, np.ndarray], seed: int) -> tuple[np.ndarray, ...]:
    """(x_train, y_train, x_test, y_test): the jets shuffled with `seed`, 75% for training, the 16 features
    standardised with the training set's mean and width (in a trigger this happens upstream)."""
    x, y = data["features"], data["label"]
    order = np.random.default_rng(seed).permutation(len(x))
    x, y = x[order], y[order]
    n_train = int(0.75 * len(x))
    mean, std = x[:n_train].mean(axis=0), x[:n_train].std(axis=0) + 1e-12
    x = ((x - mean) / std).astype(np.float32)
    return x[:n_train], y[:n_train], x[n_train:], y[n_train:]


def float_twin(qat_model):
    """The same architecture without quantizers."""
    import tensorflow as tf

    inp = tf.keras.Input(qat_model.input_shape[1:], name="input_1")
    x = inp
    for layer in qat_model.layers[1:-1]:
        if layer.name.startswith("relu"):
            x = tf.keras.layers.ReLU(name=layer.name)(x)
        else:
            x = tf.keras.layers.Dense(layer.units, name=layer.name)(x)
    out = tf.keras.layers.Activation("softmax", name="softmax")(x)
    return tf.keras.Model(inp, out, name="jet_tagger_float")


def train(model, x, y, epochs: int, seed: int) -> None:
    import tensorflow as tf

    tf.keras.utils.set_random_seed(seed)
    model.compile(optimizer=tf.keras.optimizers.Adam(3e-3), loss="sparse_categorical_crossentropy")
    stop = tf.keras.callbacks.EarlyStopping(patience=5, restore_best_weights=True)
    model.fit(x, y, epochs=epochs, batch_size=512, validation_split=0.2, callbacks=[stop], verbose=0)


def logits_of(model, x: np.ndarray) -> np.ndarray:
    import tensorflow as tf

    return tf.keras.Model(model.input, model.get_layer("output").output).predict(x, verbose=0, batch_size=4096)


def softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def aucs(y: np.ndarray, scores: np.ndarray) -> dict[str, float]:
    from sklearn.metrics import roc_auc_score

    return {c: round(float(roc_auc_score(y == i, scores[:, i])), 4) for i, c in enumerate(CLASSES)}


def plot_roc(y: np.ndarray, scores: dict[str, np.ndarray], path: Path) -> None:
    from matplotlib.figure import Figure
    from sklearn.metrics import roc_curve

    fig = Figure(figsize=(7, 5))
    ax = fig.subplots()
    styles = {"float": "-", "QAT": "--", "firmware": ":"}
    for i, c in enumerate(CLASSES):
        for name, s in scores.items():
            fpr, tpr, _ = roc_curve(y == i, s[:, i])
            ax.plot(tpr, np.maximum(fpr, 1e-4), styles[name], color=f"C{i}", label=f"{c} {name}")
    ax.set_yscale("log")
    ax.set_xlabel("signal efficiency (true positive rate)")
    ax.set_ylabel("mistag rate (false positive rate)")
    ax.set_title("jet tagger: float (solid), QAT (dashed), firmware emulation (dotted)")
    ax.legend(fontsize=6, ncol=3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n-per-class", type=int, default=2000, help="jets per class (default 2000: a few minutes)")
    ap.add_argument("--epochs", type=int, default=60)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--jobs", type=int, help="generator processes (default: all cores)")
    ap.add_argument("--target", default="xcvu9p")
    ap.add_argument("--synth", action="store_true", help="also synthesise the RTL with yosys (minutes)")
    ap.add_argument("--out", type=Path, default=Path("build/jet_tagger"))
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    data = load_jets(args.n_per_class, args.seed, args.jobs)
    x_train, y_train, x_test, y_test = standardised_split(data, args.seed)
    n_train = len(x_train)

    import trigger
    from trigger.fixed import fixed_type_from_str
    from trigger.qonnx_export import keras_to_qonnx
    from trigger.zoo import jet_tagger

    qat = jet_tagger()
    flt = float_twin(qat)
    t_train = time.perf_counter()
    train(flt, x_train, y_train, args.epochs, args.seed)
    train(qat, x_train, y_train, args.epochs, args.seed)
    t_train = time.perf_counter() - t_train
    args.out.mkdir(parents=True, exist_ok=True)
    qat.save(args.out / "jet_tagger_qat.h5")
    flt.save(args.out / "jet_tagger_float.h5")
    keras_to_qonnx(qat, args.out / "jet_tagger_qat.onnx")
    np.save(args.out / "test_features.npy", x_test)

    try:  # the Python API (trigger-compile on the command line does the same)
        compiled = trigger.compile(
            args.out / "jet_tagger_qat.onnx",
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
    # the firmware emulation: raw fixed-point logits of the C simulation, on the inputs' fixed-point grid
    index = json.loads((project / "vectors" / "index.json").read_text())
    out_type = fixed_type_from_str(index["expected_raw"]["type"])
    fw_raw = np.load(project / "vectors" / "expected_raw.npy").reshape(len(x_test), -1)
    x_grid = np.load(project / "vectors" / "inputs.npy")
    qat_raw, on_grid = out_type.to_raw(logits_of(qat, x_grid))
    assert on_grid.all(), "QAT logits off the output type's grid"
    np.testing.assert_array_equal(fw_raw, qat_raw)  # bit for bit, as raw integers
    scores = {
        "float": softmax(logits_of(flt, x_test)),
        "QAT": softmax(out_type.from_raw(qat_raw)),
        "firmware": softmax(out_type.from_raw(fw_raw)),
    }
    lut_softmax = np.load(project / "vectors" / "emulation_output.npy").reshape(len(x_test), -1)
    auc = {name: aucs(y_test, sc) for name, sc in scores.items()}
    result = {
        "example": "jet_tagger",
        "n_per_class": args.n_per_class,
        "n_train": int(n_train),
        "n_test": int(len(x_test)),
        "seed": args.seed,
        "auc": auc,
        "auc_firmware_lut_softmax": aucs(y_test, lut_softmax),
        "firmware_equals_qat_at_logits": True,  # asserted above
        "logits_type": str(out_type),
        "max_auc_gap_qat_vs_float": round(max(abs(auc["QAT"][c] - auc["float"][c]) for c in CLASSES), 4),
        "train_seconds": round(t_train, 1),
        "total_seconds": round(time.perf_counter() - t0, 1),
        "project": str(project),
    }
    (args.out / "results.json").write_text(json.dumps(result, indent=2) + "\n")
    plot_roc(y_test, scores, args.out / "roc.png")
    print(json.dumps({k: result[k] for k in ("auc", "max_auc_gap_qat_vs_float", "firmware_equals_qat_at_logits")}))
    print(f"wrote {args.out / 'results.json'} and {args.out / 'roc.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
