"""Make the zoo's models of two inputs: PyTorch / Brevitas modules whose forward takes (tracks, calo).

A Level-1 tagger often sees two objects at once (a jet's tracks and its calorimeter deposits; a muon and the
jets around it).  These are small two-branch models written by the real exporters, so the graphs carry two
graph inputs in the exporter's own order and naming:

* `torch_two_input_add`: float; tracks (8,) -> Linear(8,16) -> ReLU and calo (4,) -> Linear(4,16) -> ReLU,
  summed (ONNX Add of two computed tensors), -> Linear(16,5); `torch.onnx.export(dynamo=False)`.
* `brevitas_two_input_4b`: Brevitas QAT; each input through its own 8-bit QuantIdentity (power-of-two
  scales), a 4-bit QuantLinear (bias-free) and a 4-bit QuantReLU, concatenated (ONNX Concat) -> 4-bit
  QuantLinear -> 5 classes; `export_qonnx(dynamo=False)`.

Each folder gets `model.onnx`, `inputs.npz` (256 held-out vectors, one float32 array per graph input name)
and `meta.json`.  Run from the repository root in the zoo venv of scripts/zoo/torch_models.py:

    /work/zoo-venv/bin/python scripts/zoo/two_input_models.py --out tests/zoo/models
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path

import numpy as np
import onnx
import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).parent))
from torch_models import N_CLASSES, N_INPUTS, N_TRAIN, SEED, _op_types, blobs  # noqa: E402

SCRIPT = "scripts/zoo/two_input_models.py"
NAMES = ["tracks", "calo"]
SPLIT = 8  # the first 8 of the 12 blob features are the tracks', the last 4 the calorimeter's
_DATA = blobs(12)


def data(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x, y = _DATA(n, seed)
    return x[:, :SPLIT], x[:, SPLIT:], y


class TwoInputAdd(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fa, self.fb, self.out = nn.Linear(SPLIT, 16), nn.Linear(12 - SPLIT, 16), nn.Linear(16, N_CLASSES)

    def forward(self, tracks: torch.Tensor, calo: torch.Tensor) -> torch.Tensor:
        return self.out(torch.relu(self.fa(tracks)) + torch.relu(self.fb(calo)))


class TwoInputCat4b(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        import brevitas.nn as qnn
        from brevitas.quant import (
            Int8ActPerTensorFixedPoint,
            Int8WeightPerTensorFixedPoint,
            Uint8ActPerTensorFixedPoint,
        )

        def branch(n_in: int) -> nn.ModuleList:
            return nn.ModuleList(
                [
                    qnn.QuantIdentity(act_quant=Int8ActPerTensorFixedPoint, bit_width=8, return_quant_tensor=True),
                    qnn.QuantLinear(
                        n_in, 8, bias=False, weight_quant=Int8WeightPerTensorFixedPoint, weight_bit_width=4
                    ),
                    qnn.QuantReLU(act_quant=Uint8ActPerTensorFixedPoint, bit_width=4, return_quant_tensor=False),
                ]
            )

        self.a, self.b = branch(SPLIT), branch(12 - SPLIT)
        self.out = qnn.QuantLinear(
            16, N_CLASSES, bias=False, weight_quant=Int8WeightPerTensorFixedPoint, weight_bit_width=4
        )
        self.cat_quant = qnn.QuantIdentity(act_quant=Uint8ActPerTensorFixedPoint, bit_width=4, return_quant_tensor=True)

    def forward(self, tracks: torch.Tensor, calo: torch.Tensor) -> torch.Tensor:
        ha, hb = tracks, calo
        for layer in self.a:
            ha = layer(ha)
        for layer in self.b:
            hb = layer(hb)
        return self.out(self.cat_quant(torch.cat([ha, hb], dim=1)))


def train(model: nn.Module) -> float:
    a, b, y = data(N_TRAIN, SEED + 1)
    at, bt, yt = torch.from_numpy(a), torch.from_numpy(b), torch.from_numpy(y)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    rng = np.random.default_rng(SEED + 2)
    model.train()
    for _ in range(300):
        idx = torch.from_numpy(rng.choice(N_TRAIN, 128, replace=False))
        opt.zero_grad()
        nn.functional.cross_entropy(model(at[idx], bt[idx]), yt[idx]).backward()
        opt.step()
    model.eval()
    return float((_logits(model, a, b).argmax(1) == y).mean())


def _logits(model: nn.Module, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        out = model(torch.from_numpy(a), torch.from_numpy(b))
    return getattr(out, "value", out).numpy()


_AXES = {"dynamic_axes": {"tracks": {0: "batch"}, "calo": {0: "batch"}, "y": {0: "batch"}}}


def export(model: nn.Module, quantized: bool, example: tuple[torch.Tensor, torch.Tensor], path: Path) -> str:
    kw = {"input_names": NAMES, "output_names": ["y"], **_AXES}
    if quantized:
        from brevitas.export import export_qonnx

        export_qonnx(model, example, str(path), dynamo=False, **kw)
        return "brevitas.export.export_qonnx (dynamo=False: TorchScript torch.onnx.export)"
    torch.onnx.export(model, example, str(path), dynamo=False, **kw)
    return "torch.onnx.export (TorchScript, dynamo=False)"


def check(path: Path, quantized: bool, a: np.ndarray, b: np.ndarray, expected: np.ndarray) -> dict:
    """Run the exported file (qonnx or onnxruntime) on the inputs; compare with the torch model."""
    feed = {"tracks": a, "calo": b}
    if quantized:
        from qonnx.core.modelwrapper import ModelWrapper
        from qonnx.core.onnx_exec import execute_onnx
        from qonnx.util.cleanup import cleanup_model

        # qonnx's override_inpsize (ChangeBatchSize) sets the batch of the first graph input only, and its
        # GiveReadableTensorNames renames the inputs global_in, global_in_1: fix every batch, feed by position
        model = onnx.load(str(path))
        for inp in model.graph.input[:2]:
            inp.type.tensor_type.shape.dim[0].dim_value = len(a)
        wrapper = cleanup_model(ModelWrapper(model))
        feed = {i.name: x for i, x in zip(wrapper.graph.input, (a, b), strict=True)}
        got = execute_onnx(wrapper, feed)[wrapper.graph.output[0].name]
    else:
        import onnxruntime as ort

        got = ort.InferenceSession(str(path)).run(None, feed)[0]
    return {"max_abs_diff_vs_torch": float(np.abs(got - expected).max())}


def make(name: str, model: nn.Module, quantized: bool, description: str, out: Path) -> None:
    accuracy = train(model)
    a, b, _ = data(N_INPUTS, SEED + 1000)
    expected = _logits(model, a, b)
    folder = out / name
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "model.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exporter = export(model, quantized, (torch.from_numpy(a[:2]), torch.from_numpy(b[:2])), path)
    np.savez(folder / "inputs.npz", tracks=a, calo=b)
    graph_inputs = [i.name for i in onnx.load(str(path)).graph.input]
    meta = {
        "name": name,
        "exporter": exporter,
        "versions": {"torch": torch.__version__, "onnx": onnx.__version__, "numpy": np.__version__}
        | ({"brevitas": __import__("brevitas").__version__} if quantized else {}),
        "script": SCRIPT,
        "quantized": quantized,
        "description": description,
        "input_shape": {"tracks": [SPLIT], "calo": [12 - SPLIT]},
        "graph_inputs": graph_inputs,
        "ops": _op_types(path),
        "classes": ["two-inputs", "dynamic-batch"] + (["qonnx-quant", "concat"] if quantized else ["add"]),
        "model_file": "model.onnx",
        "inputs_file": "inputs.npz",
        "inputs": f"{N_INPUTS} fresh draws (seed {SEED + 1000}), one array per graph input",
        "train_accuracy": round(accuracy, 4),
        "export_check": check(path, quantized, a, b, expected),
    }
    (folder / "meta.json").write_text(json.dumps(meta, indent=2) + "\n")
    print(f"{name}: {path.stat().st_size} B, train accuracy {accuracy:.3f}, {meta['export_check']}, ops {meta['ops']}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, required=True)
    args = p.parse_args()
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    torch.manual_seed(SEED)
    make(
        "torch_two_input_add",
        TwoInputAdd(),
        False,
        "Float two-input model: tracks (8) -> Linear 16 -> ReLU, calo (4) -> Linear 16 -> ReLU, Add, Linear 5; "
        "two graph inputs; legacy TorchScript exporter.",
        args.out,
    )
    torch.manual_seed(SEED)
    make(
        "brevitas_two_input_4b",
        TwoInputCat4b(),
        True,
        "Brevitas QAT two-input model: per input an 8-bit QuantIdentity, bias-free 4-bit QuantLinear 8, 4-bit "
        "QuantReLU; Concat, 4-bit QuantIdentity, bias-free 4-bit QuantLinear 5; power-of-two scales.",
        args.out,
    )


if __name__ == "__main__":
    main()
