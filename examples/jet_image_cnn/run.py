"""Jet-image CNN tagger: QKeras QAT on (eta, phi) images of the constituents, firmware bit for bit.

One command, end to end (needs the physics extra, `pip install -e '.[physics]'`):

    .venv/bin/python examples/jet_image_cnn/run.py [--n-per-class 2000] [--pixels 16] [--synth]

1. loads the jets of examples/jet_tagger (same generator settings, same cache, same train/test split) and
   draws each as a PIXELS x PIXELS image of its 30 hardest constituents' pT (as a fraction of their sum)
   over |eta|, |phi| < 0.8 around the jet axis (`trigger.data.images.jet_images`);
2. scales the pixels by 1 / the standard deviation of the training images' non-empty pixels;
3. trains the CNN as a float model and as its QKeras twin (6-bit weights, biases and ReLUs):
   [Conv2D 3x3 -> ReLU -> MaxPooling 2x2] per entry of --filters, Flatten, Dense/ReLU per entry of
   --dense, Dense -> 5 logits -> softmax; and, as the reference, examples/jet_tagger's 16-feature MLP;
4. compiles the QAT model with `trigger.compile` and checks it as examples/deepsets_tagger does
   (firmware logits == QAT logits as raw integers, RTL == C simulation, co-simulation without mismatch);
5. reports per-class ROC AUCs and plots the ROC curves.
Writes OUT/results.json, OUT/roc.png, OUT/images.png (mean image per class), the models and OUT/project/.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import time
from pathlib import Path
from types import ModuleType

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402


def _deepsets_example() -> ModuleType:
    """examples/deepsets_tagger/run.py: the split, training, compile-and-check and figures shared with it."""
    key = "example_deepsets_tagger"
    if key not in sys.modules:
        path = Path(__file__).resolve().parent.parent / "deepsets_tagger" / "run.py"
        spec = importlib.util.spec_from_file_location(key, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[key] = module
        spec.loader.exec_module(module)
    return sys.modules[key]


ds = _deepsets_example()
jt = ds.jt  # examples/jet_tagger/run.py
CLASSES = ds.CLASSES
BITS = ds.BITS


def images_of(data: dict[str, np.ndarray], order: np.ndarray, n_train: int, pixels: int) -> np.ndarray:
    """The jets' images in `order`, scaled by 1 / the std of the training images' non-empty pixels."""
    from trigger.data.images import jet_images

    img = jet_images(data["constituents"][order], pixels)
    nonzero = img[:n_train][img[:n_train] > 0]
    return (img / (nonzero.std() + 1e-12)).astype(np.float32)


def cnn(
    pixels: int = 14,
    filters: tuple[int, ...] = (4, 8),
    dense: tuple[int, ...] = (16,),
    n_classes: int = 5,
    bits: int | None = BITS,
):
    """CNN tagger: (Conv2D 3x3, ReLU, MaxPooling 2x2) blocks, Flatten, Dense/ReLU, logits ('output'), softmax.

    `bits=None` gives the float twin (same layers and names, no quantizers).
    """
    import tensorflow as tf

    inp = tf.keras.Input((pixels, pixels, 1), name="input_1")
    x = inp
    for i, n in enumerate(filters, start=1):
        if bits is None:
            x = tf.keras.layers.Conv2D(n, 3, name=f"conv{i}")(x)
        else:
            from qkeras import QConv2D, quantized_bits

            q = quantized_bits(bits, 0, alpha=1)
            x = QConv2D(n, 3, kernel_quantizer=q, bias_quantizer=quantized_bits(bits, 0, alpha=1), name=f"conv{i}")(x)
        x = ds.relu_layer(f"conv_relu{i}", bits)(x)
        x = tf.keras.layers.MaxPooling2D(2, name=f"pool{i}")(x)
    x = tf.keras.layers.Flatten(name="flatten")(x)
    for i, units in enumerate(dense, start=1):
        x = ds.relu_layer(f"relu{i}", bits)(ds.dense_layer(units, f"fc{i}", bits)(x))
    x = ds.dense_layer(n_classes, "output", bits)(x)
    out = tf.keras.layers.Activation("softmax", name="softmax")(x)
    return tf.keras.Model(inp, out, name="jet_image_cnn" if bits else "jet_image_cnn_float")


def unread_pixels(pixels: int, blocks: int) -> str | None:
    """Why some pixels would never reach the output (a MaxPooling 2x2 drops an odd last row), or None.

    Besides wasting inputs, such pixels have no bits in the RTL (alkaid trims unread inputs to width 0).
    """
    side = pixels
    for block in range(1, blocks + 1):
        if side < 4 or (side - 2) % 2:
            return (
                f"--pixels {pixels}: block {block} gets {side} x {side} (Conv2D 3x3 -> {side - 2}): each block's "
                "Conv2D output must be even and 2 or more for every pixel to reach the output (e.g. --pixels 10, 14 "
                "or 18 for two blocks; 6, 8 or 10 for one)"
            )
        side = (side - 2) // 2
    return None


def plot_images(images: np.ndarray, y: np.ndarray, path: Path) -> None:
    """The mean image of each class (one log colour scale for all)."""
    from matplotlib.colors import LogNorm
    from matplotlib.figure import Figure

    means = [images[y == i, :, :, 0].mean(axis=0) for i in range(len(CLASSES))]
    norm = LogNorm(vmin=1e-3, vmax=max(float(m.max()) for m in means))
    fig = Figure(figsize=(12, 2.8), layout="constrained")
    axes = fig.subplots(1, len(CLASSES), sharey=True)
    for i, (ax, c) in enumerate(zip(axes, CLASSES, strict=True)):
        im = ax.imshow(means[i].T, origin="lower", extent=(-0.8, 0.8, -0.8, 0.8), norm=norm)
        ax.set_title(f"{c} (mean of {int((y == i).sum())})", fontsize=9)
        ax.set_xlabel("eta - jet eta", fontsize=8)
    axes[0].set_ylabel("phi - jet phi", fontsize=8)
    fig.colorbar(im, ax=list(axes), shrink=0.8, label="scaled pT fraction")
    fig.savefig(path, dpi=90)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ds.common_args(ap, "build/jet_image_cnn")
    ap.add_argument("--pixels", type=int, default=14, help="image side (default 14: 0.114 x 0.114 pixels)")
    ap.add_argument("--filters", type=int, nargs="+", default=[4, 8], help="filters per Conv2D 3x3 block")
    ap.add_argument("--dense", type=int, nargs="+", default=[16], help="Dense layer widths after Flatten")
    args = ap.parse_args(argv)
    if (why := unread_pixels(args.pixels, len(args.filters))) is not None:
        ap.error(why)
    t0 = time.perf_counter()
    data = jt.load_jets(args.n_per_class, args.seed, args.jobs)
    order, n_train = ds.split(data, args.seed)
    x = images_of(data, order, n_train, args.pixels)
    y = data["label"][order]
    x_train, y_train, x_test, y_test = x[:n_train], y[:n_train], x[n_train:], y[n_train:]

    arch = {"pixels": args.pixels, "filters": tuple(args.filters), "dense": tuple(args.dense)}
    ds.seeded(args.seed)
    qat, flt = cnn(**arch), cnn(**arch, bits=None)
    reference = {"data": data, "order": order, "n_train": n_train}
    mlp, t_train = ds.fit(qat, flt, x_train, y_train, reference, args)
    args.out.mkdir(parents=True, exist_ok=True)
    qat.save(args.out / "jet_image_cnn_qat.h5")
    flt.save(args.out / "jet_image_cnn_float.h5")
    np.save(args.out / "test_images.npy", x_test)
    model = {
        "inputs": [args.pixels, args.pixels, 1],
        "image": "constituent pT / summed pT on |eta|, |phi| < 0.8 around the jet axis, scaled",
        "conv3x3_maxpool2_filters": args.filters,
        "dense": args.dense,
    }
    times = {"started": t0, "train_seconds": round(t_train, 1)}
    title = "jet-image CNN: 16-feature MLP (dash-dot), float (solid), QAT (dashed), firmware (dotted)"
    ds.compile_and_report("jet_image_cnn", qat, flt, (x_test, y_test), mlp, model, args, times, title)
    plot_images(x_train, y_train, args.out / "images.png")
    print(f"wrote {args.out / 'results.json'}, {args.out / 'roc.png'} and {args.out / 'images.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
