"""HGQ2 jet tagger: an EBOPs sweep of heterogeneous quantization, each point compiled to firmware, AUC vs LUT.

One command, end to end (both environments, `make setup`; the jets need the physics extra):

    .venv/bin/python examples/jet_tagger_hgq/run.py [--betas 3e-6,1e-5,2e-5,3e-5,6e-5] [--no-synth]

1. the jets, split and standardisation of examples/jet_tagger (same seed: the same training and test jets);
2. the float 16-64-32-32-5 MLP of examples/jet_tagger trained here as the accuracy reference;
3. for each EBOPs strength beta: `train_hgq.py` in the Keras-3 environment (HGQ2: every weight and activation
   its own bit width, EBOPs in the loss), then `trigger-compile MODEL.keras --inputs TEST` (routed to the
   Keras-3 environment), which checks the C simulation against the HGQ2 model exactly on the test jets, the
   RTL against the C simulation, co-simulates it and synthesises it with yosys;
4. the firmware's logits (raw fixed point) give the AUCs; OUT/results.json and the Pareto plot OUT/pareto.png
   (mean AUC vs yosys LUT, beside examples/jet_tagger's 6-bit QKeras tagger, trained and compiled here too).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

HERE = Path(__file__).resolve().parent


def _deepsets_example():
    """examples/deepsets_tagger/run.py, for its sibling loader and its RTL verdict."""
    key = "example_deepsets_tagger"
    if key not in sys.modules:
        spec = importlib.util.spec_from_file_location(key, HERE.parent / "deepsets_tagger" / "run.py")
        sys.modules[key] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(sys.modules[key])
    return sys.modules[key]


ds = _deepsets_example()
jt = ds.jt  # examples/jet_tagger: jets, float twin, training, AUCs


def hgq_point(beta: float, data: Path, y_test: np.ndarray, args) -> dict:
    """Train, compile and measure one HGQ2 tagger; asserts exactness, RTL and co-simulation."""
    from trigger.environments import python_of

    out = args.out / f"beta_{beta:g}"
    model = out / "jet_tagger_hgq.keras"
    train = [str(python_of(3)), str(HERE / "train_hgq.py"), str(data), "--beta", f"{beta:g}"]
    train += ["--epochs", str(args.epochs), "--seed", str(args.seed), "--out", str(model)]
    done = subprocess.run(train, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"train_hgq.py --beta {beta:g} failed:\n{done.stderr[-3000:]}")
    trained = json.loads(done.stdout.strip().splitlines()[-1])
    compile_cmd = [str(Path(sys.executable).parent / "trigger-compile"), str(model), "--target", args.target]
    compile_cmd += ["--inputs", str(args.out / "test_features.npy"), "-o", str(out / "project"), "--force"]
    compile_cmd += ["--clock-ns", "5"] + (["--no-synth"] if args.no_synth else [])
    done = subprocess.run(compile_cmd, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"trigger-compile ({model}) exit {done.returncode}:\n{done.stderr[-3000:]}")
    return {
        "beta": beta,
        **{k: trained[k] for k in ("epochs", "train_seconds", "ebops")},
        **measured(out / "project", y_test),
        "firmware_equals_hgq2_model": True,  # the compile's exact check on the test jets (asserted in measured)
    }


def measured(project: Path, y_test: np.ndarray) -> dict:
    """AUCs of a compiled tagger's firmware logits (the C simulation, raw fixed point, on the test jets), its
    RTL and co-simulation verdict (asserted), and its resources; asserts the exact check passed."""
    from trigger.fixed import fixed_type_from_str

    report = json.loads((project / "report.json").read_text())
    emulation = report["emulation"]
    assert emulation["mode"] == "exact" and emulation["bit_exact"], emulation.get("first_mismatch")
    index = json.loads((project / "vectors" / "index.json").read_text())
    out_type = fixed_type_from_str(index["expected_raw"]["type"])
    logits = out_type.from_raw(np.load(project / "vectors" / "expected_raw.npy").reshape(len(y_test), -1))
    auc = jt.aucs(y_test, jt.softmax(logits))
    resources = report.get("resources", {})
    return {
        "auc": auc,
        "auc_mean": round(float(np.mean(list(auc.values()))), 4),
        "logits_type": str(out_type),
        **ds.rtl_verdict(report),
        "lut": resources.get("LUT"),
        "ff": resources.get("FF"),
        "resources_source": resources.get("source"),
        "project": str(project),
    }


def qkeras_point(x_train, y_train, x_test, y_test, args) -> dict:
    """examples/jet_tagger's 6-bit QKeras tagger, trained on the same jets and compiled the same way."""
    import trigger
    from trigger.zoo import jet_tagger

    ds.seeded(args.seed)
    qat = jet_tagger()
    jt.train(qat, x_train, y_train, 60, args.seed)
    qat.save(args.out / "qkeras_6bit.h5")
    trigger.compile(
        args.out / "qkeras_6bit.h5",
        target=args.target,
        out=args.out / "qkeras_6bit",
        inputs=x_test,
        force=True,
        synth=not args.no_synth,
    )
    return measured(args.out / "qkeras_6bit", y_test)


def plot_pareto(points: list[dict], float_auc: float, qkeras: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    done = [p for p in points if p["lut"]]
    ax.plot([p["lut"] for p in done], [p["auc_mean"] for p in done], "o-", label="HGQ2 (EBOPs sweep)")
    for p in done:
        ax.annotate(f"β={p['beta']:g}", (p["lut"], p["auc_mean"]), textcoords="offset points", xytext=(4, 4))
    if qkeras.get("lut"):
        ax.plot([qkeras["lut"]], [qkeras["auc_mean"]], "s", color="C3", label="QKeras 6-bit (examples/jet_tagger)")
    ax.axhline(float_auc, color="k", ls="--", lw=1, label=f"float MLP ({float_auc:.4f})")
    ax.axhline(float_auc - 0.01, color="k", ls=":", lw=1, label="float - 0.01")
    ax.axvline(8000, color="C2", ls=":", lw=1, label="8,000 LUT")
    ax.set_xscale("log")
    ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.set_xlabel("LUT (yosys synth_xilinx, xcvu9p)")
    ax.set_ylabel("mean AUC over q, g, W, Z, t (firmware logits)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n-per-class", type=int, default=2000)
    ap.add_argument("--betas", default="3e-6,1e-5,2e-5,3e-5,6e-5", help="EBOPs strengths, comma separated")
    ap.add_argument("--epochs", type=int, default=300)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--jobs", type=int, help="generator processes (default: all cores)")
    ap.add_argument("--target", default="xcvu9p")
    ap.add_argument("--no-synth", action="store_true", help="skip yosys (LUT then from alkaid's estimate)")
    ap.add_argument("--out", type=Path, default=Path("build/jet_tagger_hgq"))
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    data = jt.load_jets(args.n_per_class, args.seed, args.jobs)
    x_train, y_train, x_test, y_test = jt.standardised_split(data, args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    np.save(args.out / "test_features.npy", x_test)
    np.save(args.out / "test_labels.npy", y_test)
    train_file = args.out / "train.npz"
    np.savez(train_file, x_train=x_train, y_train=y_train)

    from trigger.zoo import jet_tagger

    ds.seeded(args.seed)  # before building: the initial weights are drawn then
    flt = jt.float_twin(jet_tagger())
    jt.train(flt, x_train, y_train, 60, args.seed)
    float_auc = jt.aucs(y_test, jt.softmax(jt.logits_of(flt, x_test)))
    float_mean = round(float(np.mean(list(float_auc.values()))), 4)
    print(f"float MLP: mean AUC {float_mean}")
    points = []
    for beta in (float(b) for b in args.betas.split(",")):
        point = hgq_point(beta, train_file, y_test, args)
        print(
            f"beta {beta:g}: mean AUC {point['auc_mean']}, LUT {point['lut']}, EBOPs {point['ebops']}, "
            f"{point['latency_cycles']} cycles"
        )
        points.append(point)
    qkeras = qkeras_point(x_train, y_train, x_test, y_test, args)
    print(f"QKeras 6-bit: mean AUC {qkeras['auc_mean']}, LUT {qkeras['lut']}")
    target = [p for p in points if p["lut"] and p["lut"] <= 8000 and p["auc_mean"] >= float_mean - 0.01]
    result = {
        "example": "jet_tagger_hgq",
        "n_per_class": args.n_per_class,
        "n_train": int(len(x_train)),
        "n_test": int(len(x_test)),
        "seed": args.seed,
        "float_mlp": {"auc": float_auc, "auc_mean": float_mean},
        "qkeras_6bit": qkeras,
        "points": points,
        "goal": "a point with mean AUC within 0.01 of the float MLP and <= 8,000 LUT (yosys)",
        "goal_met_by_betas": [p["beta"] for p in target],
        "total_seconds": round(time.perf_counter() - t0, 1),
    }
    (args.out / "results.json").write_text(json.dumps(result, indent=2) + "\n")
    plot_pareto(points, float_mean, qkeras, args.out / "pareto.png")
    print(f"wrote {args.out / 'results.json'} and {args.out / 'pareto.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
