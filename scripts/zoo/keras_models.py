"""Make the Keras-side models of the test zoo with real exporters.

Each model is trained for a few seconds on a seeded synthetic 5-class task (Gaussian blobs on 16 features for the
MLPs; simple per-class patterns for the Conv1D/Conv2D inputs) so that weights and BatchNorm statistics are
non-trivial, then written to ``<out>/<name>/`` as the exporter left it:

========================  ==================================================  =====================================
name                      model                                               exporter
========================  ==================================================  =====================================
tf2onnx_mlp_bn            16-32-BN-ReLU-32-BN-ReLU-5 (float, linear logits)   tf2onnx.convert.from_keras (opset 13)
onnxmltools_mlp_bn        the same Keras model                                onnxmltools.convert_keras (opset 13)
tf2onnx_conv1d            (32, 4): Conv1D-MaxPool1D-Conv1D-Flatten-Dense      tf2onnx.convert.from_keras (opset 13)
tf2onnx_conv2d            (8, 8, 1): Conv2D-MaxPool2D-Flatten-Dense           tf2onnx.convert.from_keras (opset 13)
qonnx_qkeras_mlp          QKeras 16-32-5, 4-bit weights and activations       qonnx.converters.from_keras (opset 13)
qkeras_softmax            QKeras 16-32-32-5, 6-bit, softmax output            model.to_json() + save_weights (h5)
keras_float_softmax       float Keras 16-64-32-32-5 jet tagger, softmax       model.to_json() + save_weights (h5)
========================  ==================================================  =====================================

Every folder holds the model file(s), ``inputs.npy`` (256 float32 vectors drawn like the training data) and
``meta.json`` (exporter, versions, ops or layer classes, the failure classes it exercises, and how closely the
exported model reproduces the Keras model on ``inputs.npy``).

Environment: the project venv (TensorFlow 2.15.1 / Keras 2, QKeras 0.9.0, tf2onnx 1.17.0, qonnx 0.4.0,
onnx 1.17.0, onnxruntime).  onnxmltools is not a project dependency: install it beside the venv and put it on
PYTHONPATH, else ``onnxmltools_mlp_bn`` is skipped::

    .venv/bin/pip install --no-deps --target /work/zoo-pkgs onnxmltools==1.16.0
    PYTHONPATH=/work/zoo-pkgs .venv/bin/python scripts/zoo/keras_models.py --out tests/zoo/models

The script is deterministic: NumPy, Python and TensorFlow are seeded, TF op determinism is on and TF runs
single-threaded, so weights, inputs, json and h5 files are identical on re-runs.  The ONNX files are numerically
identical, but tf2onnx's and qonnx's generated tensor names and initializer order can differ between runs.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

SEED = 1234
N_CLASSES = 5
N_FEATURES = 16
N_TRAIN = 2000
N_INPUTS = 256
OPSET = 13
MAX_FILE_BYTES = 300 * 1024
SCRIPT = "scripts/zoo/keras_models.py"

# Failure classes a model can exercise (meta.json "classes").
CLASSES = {
    "bn-as-mul-add": "BatchNormalization after Dense exported as a separate Mul + Add (scale, shift) to fold",
    "matmul-add": "Dense exported as MatMul + Add (tf2onnx) rather than Gemm",
    "dynamic-batch": "graph input has a symbolic batch dimension (e.g. 'unk__' or 'N')",
    "channels-last-transpose": "channels-last Keras input: tf2onnx wraps Conv/MaxPool in NHWC<->NCHW Transposes",
    "conv1d": "1-D convolution (exported by tf2onnx as a 2-D Conv on an unsqueezed axis)",
    "conv2d": "2-D convolution",
    "maxpool": "max pooling",
    "flatten-reshape": "Flatten exported as Reshape with a constant shape",
    "qonnx-quant": "QONNX Quant nodes on weights, biases and activations",
    "quantized-relu": "quantized ReLU activation",
    "keras-json-h5": "Keras architecture json + weights h5 pair",
    "qkeras-custom-layers": "QKeras QDense/QActivation layers needing custom objects",
    "qactivation-dict-config": "QActivation's quantizer serialized as a dict, which QKeras 0.9's from_config rejects",
    "softmax-output": "softmax at the output",
}


def set_seeds(seed: int = SEED) -> None:
    """Seed Python, NumPy and TensorFlow; make TF deterministic and single-threaded."""
    import random

    import tensorflow as tf

    random.seed(seed)
    np.random.seed(seed)
    tf.keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()


def configure_tf() -> None:
    """One thread each for intra- and inter-op parallelism (the machine is shared)."""
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)


# --------------------------------------------------------------------------------------------- synthetic data
def blobs(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian blobs: 5 fixed centres (N(0, 0.5) on 16 features), unit-variance noise; returns (x, labels)."""
    centres = np.random.default_rng(SEED).normal(0.0, 0.5, size=(N_CLASSES, N_FEATURES))
    rng = np.random.default_rng(seed)
    y = rng.integers(0, N_CLASSES, size=n)
    x = centres[y] + rng.normal(0.0, 1.0, size=(n, N_FEATURES))
    return x.astype(np.float32), y


def waves_1d(n: int, seed: int, length: int = 32, channels: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """(length, channels) sequences: class k is a sine of frequency k+1 cycles, phase-shifted per channel, + noise."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, N_CLASSES, size=n)
    t = np.arange(length) / length
    phase = np.arange(channels) * np.pi / channels
    clean = np.sin(2 * np.pi * (y[:, None, None] + 1) * t[None, :, None] + phase[None, None, :])
    x = clean + rng.normal(0.0, 0.3, size=(n, length, channels))
    return x.astype(np.float32), y


def patterns_2d(n: int, seed: int, size: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """(size, size, 1) images: horizontal bar, vertical bar, diagonal, anti-diagonal or centre square, + noise."""
    base = np.zeros((N_CLASSES, size, size), dtype=np.float64)
    mid = size // 2
    base[0, mid - 1 : mid + 1, :] = 1.0
    base[1, :, mid - 1 : mid + 1] = 1.0
    base[2] = np.eye(size)
    base[3] = np.fliplr(np.eye(size))
    base[4, 2:-2, 2:-2] = 1.0
    rng = np.random.default_rng(seed)
    y = rng.integers(0, N_CLASSES, size=n)
    shift = rng.integers(-1, 2, size=n)
    imgs = np.stack([np.roll(base[k], s, axis=(0, 1) if k > 1 else k) for k, s in zip(y, shift, strict=True)])
    x = imgs + rng.normal(0.0, 0.2, size=imgs.shape)
    return x[..., None].astype(np.float32), y


# ---------------------------------------------------------------------------------------------------- models
def mlp_bn() -> Any:
    """Float 16-32-BN-ReLU-32-BN-ReLU-5 with linear logits."""
    from tensorflow import keras
    from tensorflow.keras import layers

    inp = keras.Input((N_FEATURES,), name="input_1")
    x = layers.Dense(32, name="dense1")(inp)
    x = layers.BatchNormalization(name="bn1")(x)
    x = layers.Activation("relu", name="relu1")(x)
    x = layers.Dense(32, name="dense2")(x)
    x = layers.BatchNormalization(name="bn2")(x)
    x = layers.Activation("relu", name="relu2")(x)
    out = layers.Dense(N_CLASSES, name="logits")(x)
    return keras.Model(inp, out, name="mlp_bn")


def conv1d() -> Any:
    """(32, 4) channels-last: Conv1D 8 k3 relu -> MaxPooling1D 2 -> Conv1D 8 k3 relu -> Flatten -> Dense 5."""
    from tensorflow import keras
    from tensorflow.keras import layers

    inp = keras.Input((32, 4), name="input_1")
    x = layers.Conv1D(8, 3, activation="relu", name="conv1")(inp)
    x = layers.MaxPooling1D(2, name="pool1")(x)
    x = layers.Conv1D(8, 3, activation="relu", name="conv2")(x)
    x = layers.Flatten(name="flatten")(x)
    out = layers.Dense(N_CLASSES, name="logits")(x)
    return keras.Model(inp, out, name="conv1d")


def conv2d() -> Any:
    """(8, 8, 1): Conv2D 4 3x3 relu -> MaxPooling2D -> Flatten -> Dense 5."""
    from tensorflow import keras
    from tensorflow.keras import layers

    inp = keras.Input((8, 8, 1), name="input_1")
    x = layers.Conv2D(4, 3, activation="relu", name="conv1")(inp)
    x = layers.MaxPooling2D(name="pool1")(x)
    x = layers.Flatten(name="flatten")(x)
    out = layers.Dense(N_CLASSES, name="logits")(x)
    return keras.Model(inp, out, name="conv2d")


def qkeras_mlp() -> Any:
    """QKeras 16 -> QDense 32 quantized_bits(4,0,alpha=1) -> quantized_relu(4) -> QDense 5."""
    from qkeras import QActivation, QDense, quantized_bits, quantized_relu
    from tensorflow import keras

    def q4() -> Any:
        return quantized_bits(4, 0, alpha=1)

    inp = keras.Input((N_FEATURES,), name="input_1")
    x = QDense(32, kernel_quantizer=q4(), bias_quantizer=q4(), name="qdense1")(inp)
    x = QActivation(quantized_relu(4), name="qrelu1")(x)
    out = QDense(N_CLASSES, kernel_quantizer=q4(), bias_quantizer=q4(), name="qdense2")(x)
    return keras.Model(inp, out, name="qkeras_mlp")


def qkeras_softmax_tagger() -> Any:
    """QKeras 16-32-32-5 with quantized_bits(6,0,alpha=1) / quantized_relu(6), ending in Activation('softmax')."""
    from qkeras import QActivation, QDense, quantized_bits, quantized_relu
    from tensorflow import keras
    from tensorflow.keras import layers

    def q6() -> Any:
        return quantized_bits(6, 0, alpha=1)

    inp = keras.Input((N_FEATURES,), name="input_1")
    x = QDense(32, kernel_quantizer=q6(), bias_quantizer=q6(), name="fc1")(inp)
    x = QActivation(quantized_relu(6), name="relu1")(x)
    x = QDense(32, kernel_quantizer=q6(), bias_quantizer=q6(), name="fc2")(x)
    x = QActivation(quantized_relu(6), name="relu2")(x)
    x = QDense(N_CLASSES, kernel_quantizer=q6(), bias_quantizer=q6(), name="output")(x)
    out = layers.Activation("softmax", name="softmax")(x)
    return keras.Model(inp, out, name="qkeras_softmax")


def float_jet_tagger() -> Any:
    """The canonical float jet tagger 16-64-32-32-5, ReLU hidden layers, softmax output."""
    from tensorflow import keras
    from tensorflow.keras import layers

    inp = keras.Input((N_FEATURES,), name="input_1")
    x = layers.Dense(64, activation="relu", name="fc1")(inp)
    x = layers.Dense(32, activation="relu", name="fc2")(x)
    x = layers.Dense(32, activation="relu", name="fc3")(x)
    out = layers.Dense(N_CLASSES, activation="softmax", name="output")(x)
    return keras.Model(inp, out, name="keras_float_softmax")


def train(model: Any, x: np.ndarray, y: np.ndarray, epochs: int, softmax_output: bool) -> float:
    """Train briefly with Adam and sparse cross-entropy; return the training accuracy."""
    from tensorflow import keras

    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=not softmax_output)
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss=loss, metrics=["accuracy"])
    hist = model.fit(x, y, batch_size=64, epochs=epochs, verbose=0, shuffle=True)
    return float(hist.history["accuracy"][-1])


# ------------------------------------------------------------------------------------------------- exporters
def export_tf2onnx(model: Any, path: Path) -> Any:
    """tf2onnx.convert.from_keras with a dynamic batch dimension."""
    import tensorflow as tf
    import tf2onnx

    spec = [tf.TensorSpec((None, *model.input_shape[1:]), tf.float32, name="input_1")]
    proto, _ = tf2onnx.convert.from_keras(model, input_signature=spec, opset=OPSET, output_path=str(path))
    return proto


def export_onnxmltools(model: Any, path: Path) -> Any:
    """onnxmltools.convert_keras (a thin wrapper around tf2onnx since onnxmltools 1.9)."""
    import onnx
    import onnxmltools

    proto = onnxmltools.convert_keras(model, name=model.name, target_opset=OPSET)
    onnx.save(proto, str(path))
    return proto


def export_qonnx(model: Any, path: Path) -> Any:
    """qonnx.converters.from_keras (QKeras quantizers become QONNX Quant nodes)."""
    import onnx
    import tf2onnx.optimizer  # noqa: F401  (must precede qonnx's converter with tf2onnx 1.17)
    from qonnx.converters import from_keras

    proto, _ = from_keras(model, name=model.name, opset=OPSET)
    onnx.save(proto, str(path))
    return proto


def save_json_h5(model: Any, folder: Path) -> None:
    """Architecture json + weights h5 (the hls4ml example-models convention)."""
    (folder / "model.json").write_text(model.to_json())
    model.save_weights(str(folder / "model_weights.h5"))


# -------------------------------------------------------------------------------------------------- checking
def run_onnxruntime(path: Path, x: np.ndarray) -> np.ndarray:
    """Run a float ONNX model on x with onnxruntime."""
    import onnxruntime as ort

    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return sess.run(None, {sess.get_inputs()[0].name: x})[0]


def run_qonnx(path: Path, x: np.ndarray) -> np.ndarray:
    """Run a QONNX model on x with qonnx's executor (one vector at a time: the exported batch size is 1)."""
    from qonnx.core.modelwrapper import ModelWrapper
    from qonnx.core.onnx_exec import execute_onnx
    from qonnx.util.cleanup import cleanup_model

    model = cleanup_model(ModelWrapper(str(path)))
    iname, oname = model.graph.input[0].name, model.graph.output[0].name
    return np.concatenate([execute_onnx(model, {iname: row[None]})[oname] for row in x])


def reload_json_h5(folder: Path) -> Any:
    """Load model.json + model_weights.h5 back with QKeras custom objects.

    QKeras 0.9's `QActivation.from_config` cannot take the quantizer dict that Keras 2.15's `to_json` writes, so
    the dict is deserialized first (the json is as Keras wrote it; only the reader works around this).
    """
    from qkeras import QActivation
    from qkeras.utils import _add_supported_quantized_objects
    from tensorflow import keras

    custom: dict[str, Any] = {}
    _add_supported_quantized_objects(custom)

    class QActivationReader:
        @staticmethod
        def from_config(config: dict[str, Any]) -> Any:
            act = config.get("activation")
            if isinstance(act, dict):
                config = {**config, "activation": keras.utils.deserialize_keras_object(act, custom_objects=custom)}
            return QActivation.from_config(config)

    custom["QActivation"] = QActivationReader
    model = keras.models.model_from_json((folder / "model.json").read_text(), custom_objects=custom)
    model.load_weights(str(folder / "model_weights.h5"))
    return model


# ------------------------------------------------------------------------------------------------- metadata
def versions(*packages: str) -> dict[str, str]:
    """Installed versions of the named distributions, plus Python's."""
    out = {"python": platform.python_version()}
    for pkg in packages:
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            mod = sys.modules.get(pkg)
            out[pkg] = getattr(mod, "__version__", "unknown")
    return out


def onnx_ops(path: Path) -> list[str]:
    """Sorted op types of an ONNX graph (with a domain prefix for non-default domains)."""
    import onnx

    model = onnx.load(str(path))
    return sorted({f"{n.domain}:{n.op_type}" if n.domain else n.op_type for n in model.graph.node})


def keras_layers(model: Any) -> list[str]:
    """Sorted layer classes of a Keras model."""
    return sorted({type(layer).__name__ for layer in model.layers})


def write_meta(folder: Path, meta: dict[str, Any]) -> None:
    """Write meta.json and check every file of the folder is under MAX_FILE_BYTES."""
    unknown = set(meta["classes"]) - set(CLASSES)
    if unknown:
        raise ValueError(f"unknown failure classes {sorted(unknown)}")
    (folder / "meta.json").write_text(json.dumps(meta, indent=2) + "\n")
    for f in folder.iterdir():
        if f.stat().st_size > MAX_FILE_BYTES:
            raise RuntimeError(f"{f} is {f.stat().st_size} bytes (limit {MAX_FILE_BYTES})")


# ------------------------------------------------------------------------------------------------- the makers
Data = Callable[[int, int], tuple[np.ndarray, np.ndarray]]


def make_onnx(
    out: Path,
    name: str,
    build: Callable[[], Any],
    data: Data,
    exporter: str,
    classes: list[str],
    description: str,
    epochs: int = 30,
    trained: tuple[Any, float] | None = None,
    note: str | None = None,
) -> tuple[Any, float]:
    """Train (unless `trained` = (model, accuracy) is given), export, check against Keras and write the folder.

    Returns the trained Keras model and its training accuracy.
    """
    folder = out / name
    folder.mkdir(parents=True, exist_ok=True)
    x_train, y_train = data(N_TRAIN, SEED)
    x_in, _ = data(N_INPUTS, SEED + 1)
    set_seeds()
    if trained is None:
        model = build()
        acc = train(model, x_train, y_train, epochs, softmax_output=False)
    else:
        model, acc = trained
    path = folder / "model.onnx"
    if exporter.startswith("onnxmltools"):
        export_onnxmltools(model, path)
        pkgs = ("tensorflow-cpu", "keras", "onnxmltools", "tf2onnx", "onnx", "onnxruntime", "numpy")
    elif exporter.startswith("qonnx"):
        export_qonnx(model, path)
        pkgs = ("tensorflow-cpu", "keras", "QKeras", "qonnx", "tf2onnx", "onnx", "numpy")
    else:
        export_tf2onnx(model, path)
        pkgs = ("tensorflow-cpu", "keras", "tf2onnx", "onnx", "onnxruntime", "numpy")
    np.save(folder / "inputs.npy", x_in)
    ref = model.predict(x_in, verbose=0)
    quantized = exporter.startswith("qonnx")
    got = run_qonnx(path, x_in) if quantized else run_onnxruntime(path, x_in)
    check = {
        "runtime": "qonnx.core.onnx_exec" if quantized else "onnxruntime",
        "max_abs_diff_vs_keras": float(np.max(np.abs(got - ref))),
        "argmax_agreement": float(np.mean(got.argmax(-1) == ref.argmax(-1))),
    }
    meta = {
        "name": name,
        "exporter": exporter,
        "versions": versions(*pkgs),
        "script": SCRIPT,
        "quantized": quantized,
        "description": description,
        "input_shape": list(x_in.shape[1:]),
        "ops": onnx_ops(path),
        "classes": sorted(classes),
        "model_file": "model.onnx",
        "inputs": f"{N_INPUTS} fresh draws (seed {SEED + 1}) from the training distribution ({data.__name__})",
        "train_accuracy": acc,
        "export_check": check,
    }
    if note:
        meta["note"] = note
    write_meta(folder, meta)
    print(f"{name}: ops {meta['ops']}; {check}")
    return model, acc


def make_json_h5(
    out: Path, name: str, build: Callable[[], Any], classes: list[str], description: str, quantized: bool
) -> None:
    """Train a softmax tagger, save json + h5, check the reloaded model, write the folder."""
    folder = out / name
    folder.mkdir(parents=True, exist_ok=True)
    x_train, y_train = blobs(N_TRAIN, SEED)
    x_in, _ = blobs(N_INPUTS, SEED + 1)
    set_seeds()
    model = build()
    acc = train(model, x_train, y_train, 30, softmax_output=True)
    save_json_h5(model, folder)
    np.save(folder / "inputs.npy", x_in)
    reloaded = reload_json_h5(folder)
    diff = float(np.max(np.abs(reloaded.predict(x_in, verbose=0) - model.predict(x_in, verbose=0))))
    pkgs = ("tensorflow-cpu", "keras", "h5py", "numpy") + (("QKeras",) if quantized else ())
    meta = {
        "name": name,
        "exporter": "keras Model.to_json() + Model.save_weights() (h5)",
        "versions": versions(*pkgs),
        "script": SCRIPT,
        "quantized": quantized,
        "description": description,
        "input_shape": [N_FEATURES],
        "ops": keras_layers(model),
        "classes": sorted(classes),
        "model_file": "model.json",
        "weights_file": "model_weights.h5",
        "inputs": f"{N_INPUTS} fresh draws (seed {SEED + 1}) from the training distribution (blobs)",
        "train_accuracy": acc,
        "export_check": {"runtime": "keras predict (json + h5 reloaded)", "max_abs_diff_vs_keras": diff},
    }
    write_meta(folder, meta)
    print(f"{name}: layers {meta['ops']}; reload diff {diff}")


def main(argv: list[str] | None = None) -> int:
    """Make every model under --out."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="zoo folder (e.g. tests/zoo/models)")
    parser.add_argument("--only", nargs="*", default=None, help="make only these models")
    args = parser.parse_args(argv)
    configure_tf()
    out: Path = args.out

    def wanted(name: str) -> bool:
        return args.only is None or name in args.only

    mlp_doc = "float Keras 16-32-BN-ReLU-32-BN-ReLU-5 (linear logits) trained on 5 Gaussian blobs in 16 features"
    mlp_classes = ["bn-as-mul-add", "matmul-add", "dynamic-batch"]
    trained_mlp = None
    if wanted("tf2onnx_mlp_bn"):
        trained_mlp = make_onnx(
            out, "tf2onnx_mlp_bn", mlp_bn, blobs, f"tf2onnx.convert.from_keras (opset {OPSET})", mlp_classes, mlp_doc
        )
    if wanted("onnxmltools_mlp_bn"):
        try:
            import onnxmltools  # noqa: F401
        except ImportError:
            print("onnxmltools_mlp_bn: skipped (onnxmltools not importable; see the module docstring)")
        else:
            make_onnx(
                out,
                "onnxmltools_mlp_bn",
                mlp_bn,
                blobs,
                f"onnxmltools.convert_keras (opset {OPSET}; tf2onnx underneath)",
                mlp_classes,
                mlp_doc + "; the same trained Keras model as tf2onnx_mlp_bn",
                trained=trained_mlp,
                note="onnxmltools >= 1.9 converts Keras through tf2onnx.convert.from_keras, so this graph equals "
                "tf2onnx_mlp_bn's (producer 'tf2onnx'). The perm-less Transpose around BatchNormalization seen in "
                "hls4ml example-models onnx/three_layer_bn_keras.onnx (producer OnnxMLTools 1.3.0, opset 7) came "
                "from onnxmltools' pre-1.4 native Keras converter and is not reproduced by 1.16.",
            )
    if wanted("tf2onnx_conv1d"):
        make_onnx(
            out,
            "tf2onnx_conv1d",
            conv1d,
            waves_1d,
            f"tf2onnx.convert.from_keras (opset {OPSET})",
            ["conv1d", "maxpool", "channels-last-transpose", "flatten-reshape", "matmul-add", "dynamic-batch"],
            "float Keras (32, 4) channels-last: Conv1D 8 k3 relu -> MaxPooling1D 2 -> Conv1D 8 k3 relu -> Flatten "
            "-> Dense 5 (logits); classes are sines of 1-5 cycles, phase-shifted per channel, plus noise",
        )
    if wanted("tf2onnx_conv2d"):
        make_onnx(
            out,
            "tf2onnx_conv2d",
            conv2d,
            patterns_2d,
            f"tf2onnx.convert.from_keras (opset {OPSET})",
            ["conv2d", "maxpool", "channels-last-transpose", "flatten-reshape", "matmul-add", "dynamic-batch"],
            "float Keras (8, 8, 1): Conv2D 4 3x3 relu -> MaxPooling2D 2x2 -> Flatten -> Dense 5 (logits); classes "
            "are bars, diagonals and a square, shifted by up to one pixel, plus noise",
        )
    if wanted("qonnx_qkeras_mlp"):
        make_onnx(
            out,
            "qonnx_qkeras_mlp",
            qkeras_mlp,
            blobs,
            f"qonnx.converters.from_keras (opset {OPSET})",
            ["qonnx-quant", "quantized-relu", "matmul-add"],
            "QKeras 16 -> QDense 32 quantized_bits(4,0,alpha=1) -> QActivation quantized_relu(4) -> QDense 5 "
            "quantized_bits(4,0,alpha=1) (logits), trained on 5 Gaussian blobs",
        )
    if wanted("qkeras_softmax"):
        make_json_h5(
            out,
            "qkeras_softmax",
            qkeras_softmax_tagger,
            ["keras-json-h5", "qkeras-custom-layers", "qactivation-dict-config", "quantized-relu", "softmax-output"],
            "QKeras 16-32-32-5 tagger, quantized_bits(6,0,alpha=1) weights and biases, quantized_relu(6), "
            "Activation('softmax') output; trained on 5 Gaussian blobs",
            quantized=True,
        )
    if wanted("keras_float_softmax"):
        make_json_h5(
            out,
            "keras_float_softmax",
            float_jet_tagger,
            ["keras-json-h5", "softmax-output"],
            "float Keras jet-tagger architecture 16-64-32-32-5 (ReLU, softmax output); trained on 5 Gaussian blobs",
            quantized=False,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
