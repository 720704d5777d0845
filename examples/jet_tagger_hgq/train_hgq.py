"""Train one HGQ2 jet tagger (runs in the Keras-3 environment; `run.py` calls it once per EBOPs strength).

    .venv-keras3/bin/python examples/jet_tagger_hgq/train_hgq.py DATA.npz --beta 1e-5 --out MODEL.keras

A 16-32-16-5 MLP of HGQ2 layers: every weight and every activation has its own trainable bit width
(activations saturate); EBOPs (HGQ's resource estimate, the effective bit operations of the multiplications) is
added to the loss with weight `beta`, ramped up over the first epochs.  The last layer gives the logits
(no softmax): that is what the firmware outputs.  Prints one JSON line: epochs, seconds, EBOPs.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

HIDDEN = (32, 16)  # smaller than the QKeras 16-64-32-32-5: it generalised better on 7,500 training jets


def model(beta0: float, overflow: str = "SAT"):
    import keras
    from hgq.config import LayerConfigScope, QuantizerConfigScope
    from hgq.layers import QDense

    with (
        QuantizerConfigScope(place="all", default_q_type="kbi", overflow_mode="SAT_SYM"),
        QuantizerConfigScope(place="datalane", default_q_type="kif", overflow_mode=overflow),
        LayerConfigScope(enable_ebops=True, beta0=beta0),
    ):
        inp = keras.Input((16,), name="features")
        x = inp
        for k, units in enumerate(HIDDEN, 1):
            x = QDense(units, activation="relu", name=f"fc{k}")(x)
        out = QDense(5, name="output")(x)
    return keras.Model(inp, out, name="jet_tagger_hgq")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data", type=Path, help=".npz with x_train, y_train (standardised features, labels)")
    ap.add_argument("--beta", type=float, required=True, help="EBOPs weight in the loss after the ramp")
    ap.add_argument("--epochs", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--overflow", default="SAT", help="activation overflow mode (SAT or WRAP)")
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args(argv)
    import keras
    from hgq.utils.sugar import BetaScheduler, FreeEBOPs, PieceWiseSchedule

    keras.utils.set_random_seed(args.seed)
    data = np.load(args.data)
    x, y = data["x_train"], data["y_train"]
    net = model(0.0, args.overflow)
    steps = args.epochs * int(np.ceil(0.8 * len(x) / 512))
    lr = keras.optimizers.schedules.CosineDecay(3e-3, steps, alpha=0.03)
    net.compile(optimizer=keras.optimizers.Adam(lr), loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    ramp = max(1, args.epochs // 5)
    schedule = PieceWiseSchedule([(0, args.beta * 1e-2, "log"), (ramp, args.beta, "constant")])
    t0 = time.perf_counter()
    hist = net.fit(
        x,
        y,
        epochs=args.epochs,
        batch_size=512,
        validation_split=0.2,
        verbose=0,
        callbacks=[BetaScheduler(schedule), FreeEBOPs()],
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    net.save(args.out)
    print(
        json.dumps(
            {
                "beta": args.beta,
                "epochs": args.epochs,
                "train_seconds": round(time.perf_counter() - t0, 1),
                "ebops": int(hist.history["ebops"][-1]),
                "val_loss": round(float(hist.history["val_loss"][-1]), 4),
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
