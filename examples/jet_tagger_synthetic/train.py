"""Train the QKeras jet tagger for a few seconds on synthetic 16-feature jets and export it to QONNX.

The data are Gaussian blobs, one per class (q, g, W, Z, t), with class-dependent means and widths:
enough for a model that learns something in seconds.  The physics-data example (Pythia 8) lives in
examples/jet_tagger/.  Writes OUT/jet_tagger.h5, OUT/jet_tagger.onnx and OUT/jet_tagger_test.npy.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

CLASSES = ("q", "g", "W", "Z", "t")


def synthetic_jets(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """`n` labelled 16-feature vectors, roughly standardised like the hls4ml jet features.

    The class shapes are fixed; `seed` only draws the jets.
    """
    shapes = np.random.default_rng(2018)
    centers = shapes.normal(0.0, 0.7, (len(CLASSES), 16))
    widths = shapes.uniform(0.6, 1.2, (len(CLASSES), 16))
    rng = np.random.default_rng(seed)
    y = rng.integers(0, len(CLASSES), n)
    x = centers[y] + widths[y] * rng.normal(size=(n, 16))
    return x.astype(np.float32), y


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("build/jet_tagger_synthetic"))
    parser.add_argument("--n", type=int, default=20000, help="training jets")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    import tensorflow as tf

    from trigger.qonnx_export import keras_to_qonnx
    from trigger.zoo import jet_tagger

    t0 = time.perf_counter()
    tf.keras.utils.set_random_seed(args.seed)
    x, y = synthetic_jets(args.n, args.seed)
    x_test, y_test = synthetic_jets(2000, args.seed + 1)
    model = jet_tagger()
    model.compile(
        optimizer=tf.keras.optimizers.Adam(3e-3), loss="sparse_categorical_crossentropy", metrics=["accuracy"]
    )
    model.fit(x, y, epochs=args.epochs, batch_size=256, verbose=2)
    acc = model.evaluate(x_test, y_test, verbose=0)[1]
    args.out.mkdir(parents=True, exist_ok=True)
    model.save(args.out / "jet_tagger.h5")
    keras_to_qonnx(model, args.out / "jet_tagger.onnx")
    np.save(args.out / "jet_tagger_test.npy", x_test)
    print(
        f"trained in {time.perf_counter() - t0:.1f} s, test accuracy {acc:.3f}; wrote {args.out}/jet_tagger.{{h5,onnx}}"
    )


if __name__ == "__main__":
    main()
