"""Make the PyTorch / Brevitas part of the model zoo: small models written by the real exporters.

Each model is trained for a few hundred steps on a seeded synthetic 5-class task, put in eval mode and
exported with a dynamic batch axis; `--out DIR` then holds, per model, `DIR/<name>/model.onnx`,
`inputs.npy` (256 held-out vectors drawn like the training data, float32, shape (256, *input_shape))
and `meta.json` (exporter, versions, op types, the failure classes the model exercises).

Models:

* `torch_mlp_bn`: float 16-32-32-5 MLP, Linear -> BatchNorm1d -> ReLU, `torch.onnx.export(dynamo=False)`.
* `torch_mlp_bn_dynamo`: the same network through `torch.onnx.export(dynamo=True)` (torch.export +
  onnxscript; its default optimizer folds the BatchNorms into the Gemms).
* `torch_conv1d`: float Conv1d/ReLU/MaxPool1d/Conv1d/ReLU/Flatten/Linear on (4, 32) channels-first.
* `brevitas_mlp_4b`: Brevitas QAT MLP on (1, 4, 4) flattened with `x.view(x.shape[0], -1)`, 8-bit input,
  4-bit weights and ReLUs, Brevitas' default (float-scale) quantizers, `export_qonnx(dynamo=False)`.
* `brevitas_mlp_4b_dynamo`: the same network through `export_qonnx`'s default path on torch >= 2.9
  (`dynamo=True`).
* `brevitas_mlp_2b`: FINN's TFC-w2a2 architecture (`brevitas_examples.bnn_pynq.models.FC`) at 2 bits on
  (1, 8, 8) inputs in [0, 1], hidden 64-64, 5 classes, `export_qonnx(dynamo=False)`.
* `brevitas_bnn`: TFC_1W1A-like binary network 32-64-64-5 (BipolarQuant inputs, weights and
  activations, BatchNorm1d between), `export_qonnx(dynamo=False)`.
* `brevitas_bnn_fc1`: one binary layer 16-5 like hls4ml's own `bnn_model_fc_1layer` test model (BipolarQuant
  input, BipolarQuant weights, 8-bit integer bias, BipolarQuant output), `export_qonnx(dynamo=False)`.
* `brevitas_conv1d_4b`: QuantConv1d (4-bit, power-of-two scales) -> QuantReLU -> flatten -> QuantLinear.

Environment (a dev-only venv outside the repo; the project's own .venv is not touched):

    python3.11 -m venv /work/zoo-venv
    /work/zoo-venv/bin/pip install /opt/wheels/torch-2.13.0+cpu-cp311-cp311-manylinux_2_28_x86_64.whl
    /work/zoo-venv/bin/pip install torch==2.13.0 brevitas==0.13.4 onnx==1.17.0 onnxscript==0.7.2 \
        onnxoptimizer==0.4.2 onnxruntime==1.32.0 qonnx==1.0.0

Run from the repository root (about 15 s on one core; each file is checked against the torch model with
onnxruntime, or qonnx's execute_onnx for the quantized ones):

    /work/zoo-venv/bin/python scripts/zoo/torch_models.py --out tests/zoo/models [--only NAME ...]

What these exporters emit (torch 2.13, brevitas 0.13.4):

* BatchNorm1d on a 2-D (batch, C) tensor is a plain BatchNormalization node in both exporters: no
  Unsqueeze/Squeeze around it. The dynamo exporter's default optimizer folds it into the Gemm.
* Untrained BatchNorms (weight == running_var == 1, bias == running_mean == 0) make the TorchScript
  exporter deduplicate the initializers into `Identity` nodes (and dynamo reuses one initializer for
  several inputs); the models here are trained, so neither appears.
* The TorchScript exporter keeps `x.view(x.shape[0], -1)` as Shape -> Gather -> Unsqueeze -> Concat ->
  Reshape only with a dynamic batch axis; with a static batch it folds it to a constant Reshape. The
  dynamo path writes Reshape(allowzero=1) to a constant [-1, N].
* brevitas 0.13.4 defaults to `dynamo=True` on torch >= 2.9 (PyTorch's own default flipped too); its
  TorchScript path keeps the initializers as graph inputs (keep_initializers_as_inputs); both write the
  `qonnx.custom_op.general` domain (version 2) at opset 20, and a bias-free QuantLinear becomes
  Transpose -> MatMul (TorchScript) or Gemm(transB=1) (dynamo).
* Files from the dynamo exporter carry node metadata with stack traces, i.e. absolute paths of this script
  and the venv: they are byte-identical between runs only from the same paths.
"""

from __future__ import annotations

import argparse
import json
import platform
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path

import numpy as np
import onnx
import torch
from torch import nn

SEED = 0
N_CLASSES = 5
N_TRAIN = 2048
N_INPUTS = 256
MAX_BYTES = 300 * 1024
SCRIPT = "scripts/zoo/torch_models.py"

Data = Callable[[int, int], tuple[np.ndarray, np.ndarray]]


# --------------------------------------------------------------------------------------------------- data


def _labels(n: int, rng: np.random.Generator) -> np.ndarray:
    return rng.integers(0, N_CLASSES, n)


def blobs(n_features: int, spread: float = 1.0) -> Data:
    """Gaussian blobs: class centres fixed by SEED, unit-variance noise of width `spread`."""
    centres = np.random.default_rng(SEED + 101).normal(0.0, 1.0, (N_CLASSES, n_features))

    def draw(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
        rng = np.random.default_rng(seed)
        y = _labels(n, rng)
        x = centres[y] + spread * rng.normal(0.0, 1.0, (n, n_features))
        return x.astype(np.float32), y

    draw.__name__ = f"blobs in {n_features} features, noise {spread}"
    return draw


def waveforms(channels: int = 4, length: int = 32) -> Data:
    """Channels-first signals: a per-class sum of sinusoids per channel, random phase jitter and noise."""
    rng0 = np.random.default_rng(SEED + 202)
    freq = rng0.uniform(0.5, 4.0, (N_CLASSES, channels))
    amp = rng0.uniform(0.5, 1.5, (N_CLASSES, channels))
    t = np.arange(length) / length

    def draw(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
        rng = np.random.default_rng(seed)
        y = _labels(n, rng)
        phase = rng.uniform(-0.3, 0.3, (n, channels, 1))
        x = amp[y][..., None] * np.sin(2 * np.pi * (freq[y][..., None] * t + phase))
        x = x + 0.3 * rng.normal(0.0, 1.0, x.shape)
        return x.astype(np.float32), y

    draw.__name__ = f"sinusoids ({channels}, {length}) channels-first"
    return draw


def images(side: int = 8) -> Data:
    """(1, side, side) images in [0, 1] like MNIST pixels: a per-class random stroke mask plus noise."""
    masks = (np.random.default_rng(SEED + 303).uniform(0, 1, (N_CLASSES, 1, side, side)) < 0.35).astype(float)

    def draw(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
        rng = np.random.default_rng(seed)
        y = _labels(n, rng)
        x = 0.8 * masks[y] + rng.uniform(0.0, 0.45, (n, 1, side, side))
        return np.clip(x, 0.0, 1.0).astype(np.float32), y

    draw.__name__ = f"(1, {side}, {side}) stroke images in [0, 1]"
    return draw


def reshaped(data: Data, shape: tuple[int, ...]) -> Data:
    """The same draws with each vector reshaped to `shape`."""

    def draw(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
        x, y = data(n, seed)
        return x.reshape(n, *shape), y

    draw.__name__ = f"{data.__name__}, reshaped to {shape}"
    return draw


# --------------------------------------------------------------------------------------------------- models


def mlp_bn() -> nn.Module:
    """Float 16-32-32-5 MLP with BatchNorm1d after each hidden Linear."""
    return nn.Sequential(
        nn.Linear(16, 32),
        nn.BatchNorm1d(32),
        nn.ReLU(),
        nn.Linear(32, 32),
        nn.BatchNorm1d(32),
        nn.ReLU(),
        nn.Linear(32, N_CLASSES),
    )


def conv1d() -> nn.Module:
    """Float Conv1d network on (4, 32) channels-first inputs."""
    return nn.Sequential(
        nn.Conv1d(4, 8, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool1d(2),
        nn.Conv1d(8, 8, 3),
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(8 * 14, N_CLASSES),
    )


class QuantMLP4b(nn.Module):
    """Brevitas MLP with default (float-scale) quantizers: 8-bit input, 4-bit weights and ReLUs."""

    def __init__(self) -> None:
        super().__init__()
        import brevitas.nn as qnn

        self.inp = qnn.QuantIdentity(bit_width=8, return_quant_tensor=True)
        self.fc1 = qnn.QuantLinear(16, 32, bias=True, weight_bit_width=4)
        self.relu1 = qnn.QuantReLU(bit_width=4, return_quant_tensor=True)
        self.fc2 = qnn.QuantLinear(32, 32, bias=True, weight_bit_width=4)
        self.relu2 = qnn.QuantReLU(bit_width=4, return_quant_tensor=True)
        self.fc3 = qnn.QuantLinear(32, N_CLASSES, bias=True, weight_bit_width=4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.inp(x.view(x.shape[0], -1))
        x = self.relu1(self.fc1(x))
        x = self.relu2(self.fc2(x))
        return self.fc3(x)


def tfc_2w2a() -> nn.Module:
    """FINN's TFC architecture from brevitas_examples at 2-bit inputs, weights and activations."""
    from brevitas_examples.bnn_pynq.models.FC import FC

    return FC(
        num_classes=N_CLASSES,
        weight_bit_width=2,
        act_bit_width=2,
        in_bit_width=2,
        in_channels=1,
        out_features=[64, 64],
        in_features=(8, 8),
    )


class BinaryMLP(nn.Module):
    """TFC_1W1A-like binary MLP with FINN's bnn_pynq quantizers (scale 1): BipolarQuant input, binary
    QuantLinear -> BatchNorm1d -> binary activation, binary QuantLinear logits."""

    def __init__(self, n_in: int = 32, hidden: tuple[int, ...] = (64, 64)) -> None:
        super().__init__()
        import brevitas.nn as qnn
        from brevitas_examples.bnn_pynq.models.common import CommonActQuant, CommonWeightQuant

        def binary_act() -> nn.Module:
            return qnn.QuantIdentity(act_quant=CommonActQuant, bit_width=1)

        def binary_linear(n: int, m: int) -> nn.Module:
            return qnn.QuantLinear(n, m, bias=False, weight_quant=CommonWeightQuant, weight_bit_width=1)

        layers: list[nn.Module] = [binary_act()]
        for units in hidden:
            layers += [binary_linear(n_in, units), nn.BatchNorm1d(units), binary_act()]
            n_in = units
        layers.append(binary_linear(n_in, N_CLASSES))
        self.features = nn.Sequential(*layers)
        for m in self.modules():
            if isinstance(m, qnn.QuantLinear):
                nn.init.uniform_(m.weight.data, -1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.features(x)


class BinaryFC1(nn.Module):
    """One binary fully connected layer shaped like hls4ml's bnn_model_fc_1layer test model: BipolarQuant input,
    QuantLinear with binary (BipolarQuant) weights and an 8-bit integer bias (scale = input scale x weight scale
    = 1), BipolarQuant output."""

    def __init__(self, n_in: int = 16, n_out: int = N_CLASSES) -> None:
        super().__init__()
        import brevitas.nn as qnn
        from brevitas.quant import Int8Bias
        from brevitas_examples.bnn_pynq.models.common import CommonActQuant, CommonWeightQuant

        self.inp = qnn.QuantIdentity(act_quant=CommonActQuant, bit_width=1, return_quant_tensor=True)
        self.fc = qnn.QuantLinear(
            n_in, n_out, bias=True, weight_quant=CommonWeightQuant, weight_bit_width=1, bias_quant=Int8Bias
        )
        self.out = qnn.QuantIdentity(act_quant=CommonActQuant, bit_width=1)
        nn.init.uniform_(self.fc.weight.data, -1, 1)
        nn.init.uniform_(self.fc.bias.data, -3, 3)  # integer biases that are not all zero

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.fc(self.inp(x)))


class QuantConv1d4b(nn.Module):
    """Brevitas QuantConv1d (4-bit, power-of-two scales) -> QuantReLU -> flatten -> QuantLinear."""

    def __init__(self) -> None:
        super().__init__()
        import brevitas.nn as qnn
        from brevitas.quant import (
            Int8ActPerTensorFixedPoint,
            Int8WeightPerTensorFixedPoint,
            Uint8ActPerTensorFixedPoint,
        )

        self.inp = qnn.QuantIdentity(act_quant=Int8ActPerTensorFixedPoint, bit_width=8, return_quant_tensor=True)
        self.conv = qnn.QuantConv1d(4, 8, 3, padding=1, weight_quant=Int8WeightPerTensorFixedPoint, weight_bit_width=4)
        self.relu = qnn.QuantReLU(act_quant=Uint8ActPerTensorFixedPoint, bit_width=4, return_quant_tensor=True)
        self.fc = qnn.QuantLinear(8 * 32, N_CLASSES, weight_quant=Int8WeightPerTensorFixedPoint, weight_bit_width=4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.relu(self.conv(self.inp(x)))
        return self.fc(x.view(x.shape[0], -1))


def clip_weights(model: nn.Module, lo: float = -1.0, hi: float = 1.0) -> None:
    """Clamp Brevitas QuantLinear weights after each step, as brevitas_examples' bnn_pynq trainer does."""
    from brevitas.nn import QuantLinear

    for m in model.modules():
        if isinstance(m, QuantLinear):
            m.weight.data.clamp_(lo, hi)


# --------------------------------------------------------------------------------------------------- exporters

_NAMES = {"input_names": ["x"], "output_names": ["y"]}
_DYNAMIC_AXES = {"dynamic_axes": {"x": {0: "batch"}, "y": {0: "batch"}}}


def _dynamic_batch() -> dict:
    return {"dynamic_shapes": ({0: torch.export.Dim("batch")},)}


def export_torchscript(model: nn.Module, example: torch.Tensor, path: Path) -> str:
    """Legacy TorchScript exporter at its default opset."""
    torch.onnx.export(model, (example,), str(path), dynamo=False, **_NAMES, **_DYNAMIC_AXES)
    return f"torch.onnx.export (TorchScript, dynamo=False, opset {_opset(path)})"


def export_dynamo(model: nn.Module, example: torch.Tensor, path: Path) -> str:
    """torch.export-based exporter (onnxscript), default optimize=True, at its default opset."""
    torch.onnx.export(model, (example,), str(path), dynamo=True, external_data=False, **_NAMES, **_dynamic_batch())
    return f"torch.onnx.export (dynamo=True, torch.export + onnxscript, optimize=True, opset {_opset(path)})"


def export_brevitas_torchscript(model: nn.Module, example: torch.Tensor, path: Path) -> str:
    """Brevitas QONNX export through the TorchScript exporter."""
    from brevitas.export import export_qonnx

    export_qonnx(model, (example,), str(path), dynamo=False, **_NAMES, **_DYNAMIC_AXES)
    return f"brevitas.export.export_qonnx (dynamo=False: TorchScript torch.onnx.export, opset {_opset(path)})"


def export_brevitas_dynamo(model: nn.Module, example: torch.Tensor, path: Path) -> str:
    """Brevitas QONNX export through torch.export: export_qonnx's default on torch >= 2.9."""
    from brevitas.export import export_qonnx

    export_qonnx(
        model, (example,), str(path), dynamo=True, optimize=True, external_data=False, **_NAMES, **_dynamic_batch()
    )
    return f"brevitas.export.export_qonnx (default dynamo=True: torch.export + onnxscript, opset {_opset(path)})"


def _opset(path: Path) -> int:
    return next(o.version for o in onnx.load(str(path)).opset_import if o.domain in ("", "ai.onnx"))


# --------------------------------------------------------------------------------------------------- specs


@dataclass
class Spec:
    """One zoo model: how to build, train and export it, and what it is meant to exercise."""

    name: str
    description: str
    build: Callable[[], nn.Module]
    data: Data
    input_shape: tuple[int, ...]
    export: Callable[[nn.Module, torch.Tensor, Path], str]
    quantized: bool
    classes: list[str]
    steps: int = 300
    lr: float = 1e-2
    post_step: Callable[[nn.Module], None] | None = None
    libs: list[str] = field(default_factory=list)


_BLOBS16 = blobs(16)
_WAVES = waveforms()

SPECS = [
    Spec(
        "torch_mlp_bn",
        "Float MLP 16-32-32-5 with BatchNorm1d after each hidden Linear (Gemm -> BatchNormalization -> Relu), "
        "Gaussian blobs; legacy TorchScript exporter.",
        mlp_bn,
        _BLOBS16,
        (16,),
        export_torchscript,
        False,
        ["batchnorm-node", "dynamic-batch", "gemm"],
    ),
    Spec(
        "torch_mlp_bn_dynamo",
        "torch_mlp_bn through the dynamo exporter: its optimizer folds each BatchNorm into the preceding Gemm, "
        "so the graph is Gemm/Relu only, opset 20, node names from torch.export (linear, relu, getitem...).",
        mlp_bn,
        _BLOBS16,
        (16,),
        export_dynamo,
        False,
        ["bn-folded-into-gemm", "dynamic-batch", "dynamo-exporter", "gemm", "opset-20"],
        libs=["onnxscript"],
    ),
    Spec(
        "torch_conv1d",
        "Float Conv1d(4,8,3,pad 1) -> ReLU -> MaxPool1d(2) -> Conv1d(8,8,3) -> ReLU -> Flatten -> Linear(112,5) "
        "on channels-first (4, 32) sinusoid patterns; legacy TorchScript exporter.",
        conv1d,
        _WAVES,
        (4, 32),
        export_torchscript,
        False,
        ["channels-first", "conv1d", "dynamic-batch", "flatten-node", "gemm", "maxpool"],
    ),
    Spec(
        "brevitas_mlp_4b",
        "Brevitas QAT MLP on (1,4,4) flattened by x.view(x.shape[0], -1) (Shape->Gather->Unsqueeze->Concat->"
        "Reshape), QuantIdentity 8-bit input, QuantLinear 4-bit weights with float (unquantized) bias, QuantReLU "
        "4-bit; Brevitas default float (non power-of-two) scales; weights kept as graph inputs.",
        QuantMLP4b,
        reshaped(_BLOBS16, (1, 4, 4)),
        (1, 4, 4),
        export_brevitas_torchscript,
        True,
        [
            "dynamic-batch",
            "float-bias",
            "gemm",
            "initializers-as-inputs",
            "non-po2-scale",
            "qonnx-quant",
            "quantized-relu",
            "rank-4-input",
            "reshape-from-shape",
        ],
        libs=["brevitas", "onnxoptimizer"],
    ),
    Spec(
        "brevitas_mlp_4b_dynamo",
        "brevitas_mlp_4b through export_qonnx's default torch.export path: the flatten is a Reshape(allowzero=1) "
        "to a constant [-1, 16], weights are initializers named slice_N, quantizer parameters are graph inputs "
        "with initializers (lifted_tensor_N).",
        QuantMLP4b,
        reshaped(_BLOBS16, (1, 4, 4)),
        (1, 4, 4),
        export_brevitas_dynamo,
        True,
        [
            "dynamic-batch",
            "dynamo-exporter",
            "float-bias",
            "gemm",
            "initializers-as-inputs",
            "non-po2-scale",
            "qonnx-quant",
            "quantized-relu",
            "rank-4-input",
            "reshape-allowzero-constant",
        ],
        libs=["brevitas", "onnxscript"],
    ),
    Spec(
        "brevitas_mlp_2b",
        "FINN TFC-w2a2 architecture (brevitas_examples.bnn_pynq FC): x.view flatten of (1,8,8) images in [0,1], "
        "2*x-1 (Mul, Sub), 2-bit narrow input quantizer, bias-free 2-bit QuantLinear (MatMul with Transpose) -> "
        "BatchNorm1d -> 2-bit QuantIdentity, 64-64 hidden, TensorNorm tail (Sub/Div/Mul/Add), 5 classes.",
        tfc_2w2a,
        images(8),
        (1, 8, 8),
        export_brevitas_torchscript,
        True,
        [
            "2-bit",
            "batchnorm-node",
            "dynamic-batch",
            "initializers-as-inputs",
            "input-mul-sub",
            "matmul-transpose",
            "qonnx-quant",
            "rank-4-input",
            "reshape-from-shape",
            "tensornorm-tail",
        ],
        steps=400,
        post_step=clip_weights,
        libs=["brevitas", "onnxoptimizer"],
    ),
    Spec(
        "brevitas_bnn",
        "Binary MLP 32-64-64-5 like FINN TFC_1W1A / hls4ml's bnn_model_fc_1layer: BipolarQuant input, bias-free "
        "binary QuantLinear (BipolarQuant weight -> Transpose -> MatMul) -> BatchNorm1d -> BipolarQuant, integer "
        "logits in [-64, 64]; Gaussian blobs on 32 features.",
        BinaryMLP,
        blobs(32, spread=1.2),
        (32,),
        export_brevitas_torchscript,
        True,
        ["batchnorm-node", "bipolar-quant", "dynamic-batch", "initializers-as-inputs", "matmul-transpose"],
        steps=400,
        lr=5e-3,
        post_step=clip_weights,
        libs=["brevitas", "onnxoptimizer"],
    ),
    Spec(
        "brevitas_bnn_fc1",
        "One binary layer 16-5 shaped like hls4ml's bnn_model_fc_1layer test model: BipolarQuant input, "
        "QuantLinear with BipolarQuant weights and an Int8Bias (integer, scale 1) bias (Gemm with a Quant bias), "
        "BipolarQuant output in {-1, +1}; Gaussian blobs on 16 features.",
        BinaryFC1,
        _BLOBS16,
        (16,),
        export_brevitas_torchscript,
        True,
        ["bipolar-output", "bipolar-quant", "dynamic-batch", "gemm", "initializers-as-inputs", "quantized-bias"],
        steps=200,
        lr=5e-3,
        post_step=clip_weights,
        libs=["brevitas", "onnxoptimizer"],
    ),
    Spec(
        "brevitas_conv1d_4b",
        "Brevitas QuantConv1d(4,8,3,pad 1) 4-bit weights -> QuantReLU 4-bit -> x.view flatten -> QuantLinear(256,5) "
        "4-bit, 8-bit input; power-of-two (FixedPoint) scales, float bias; channels-first (4, 32) sinusoids.",
        QuantConv1d4b,
        _WAVES,
        (4, 32),
        export_brevitas_torchscript,
        True,
        [
            "channels-first",
            "conv1d",
            "dynamic-batch",
            "float-bias",
            "gemm",
            "initializers-as-inputs",
            "po2-scale",
            "qonnx-quant",
            "quantized-relu",
            "reshape-from-shape",
        ],
        libs=["brevitas", "onnxoptimizer"],
    ),
]


# --------------------------------------------------------------------------------------------------- driver


def train(spec: Spec, model: nn.Module) -> None:
    """A few hundred Adam steps of cross-entropy on a seeded training set."""
    x, y = spec.data(N_TRAIN, SEED + 1)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    opt = torch.optim.Adam(model.parameters(), lr=spec.lr)
    rng = np.random.default_rng(SEED + 2)
    model.train()
    for _ in range(spec.steps):
        idx = torch.from_numpy(rng.choice(N_TRAIN, 128, replace=False))
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(xt[idx]), yt[idx])
        loss.backward()
        opt.step()
        if spec.post_step:
            spec.post_step(model)
    model.eval()


def versions(spec: Spec) -> dict[str, str]:
    """Versions of the packages that produced the file."""
    out = {"python": platform.python_version(), "torch": torch.__version__, "onnx": onnx.__version__}
    for lib in spec.libs:
        out[lib] = version(lib)
    out["numpy"] = np.__version__
    return out


def reference_check(spec: Spec, path: Path, x: np.ndarray, expected: np.ndarray) -> dict:
    """Run the exported file (onnxruntime or qonnx) on the inputs and compare it with the torch model."""
    model = onnx.load(str(path))
    if spec.quantized:
        from qonnx.core.modelwrapper import ModelWrapper
        from qonnx.core.onnx_exec import execute_onnx
        from qonnx.util.cleanup import cleanup_model

        # A plain cleanup_model folds the dynamic batch of Shape -> Gather to 0 (Reshape to [0, -1] then
        # fails): fix the batch size first, as `qonnx cleanup --override-inpsize` does.
        wrapper = cleanup_model(ModelWrapper(model), override_inpsize=len(x))
        got = execute_onnx(wrapper, {wrapper.graph.input[0].name: x})[wrapper.graph.output[0].name]
        runtime = f"qonnx.core.onnx_exec (after cleanup_model(override_inpsize={len(x)}))"
    else:
        import onnxruntime as ort

        got = ort.InferenceSession(model.SerializeToString()).run(None, {model.graph.input[0].name: x})[0]
        runtime = "onnxruntime"
    return {
        "runtime": runtime,
        "max_abs_diff_vs_torch": float(np.abs(got - expected).max()),
        "argmax_agreement": float((got.argmax(1) == expected.argmax(1)).mean()),
    }


def _logits(model: nn.Module, x: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        out = model(torch.from_numpy(x))
    return getattr(out, "value", out).numpy()


def _op_types(path: Path) -> list[str]:
    """Sorted op types, custom domains written as `domain:Op` (e.g. qonnx.custom_op.general:Quant)."""
    graph = onnx.load(str(path)).graph
    return sorted({f"{n.domain}:{n.op_type}" if n.domain not in ("", "ai.onnx") else n.op_type for n in graph.node})


def make(spec: Spec, out: Path) -> None:
    """Build, train, export and describe one model."""
    torch.manual_seed(SEED)
    model = spec.build()
    train(spec, model)
    x_train, y_train = spec.data(N_TRAIN, SEED + 1)
    train_accuracy = float((_logits(model, x_train).argmax(1) == y_train).mean())
    x, _ = spec.data(N_INPUTS, SEED + 1000)
    expected = _logits(model, x)

    folder = out / spec.name
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "model.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exporter = spec.export(model, torch.from_numpy(x[:2]), path)
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise SystemExit(f"{path}: {size} bytes, over the {MAX_BYTES} limit")
    np.save(folder / "inputs.npy", x)
    check = reference_check(spec, path, x, expected)
    meta = {
        "name": spec.name,
        "exporter": exporter,
        "versions": versions(spec),
        "script": SCRIPT,
        "quantized": spec.quantized,
        "description": spec.description,
        "input_shape": list(spec.input_shape),
        "ops": _op_types(path),
        "classes": sorted(spec.classes),
        "model_file": "model.onnx",
        "inputs": f"{N_INPUTS} fresh draws (seed {SEED + 1000}) from the training distribution ({spec.data.__name__})",
        "train_accuracy": round(train_accuracy, 4),
        "export_check": check,
    }
    (folder / "meta.json").write_text(json.dumps(meta, indent=2) + "\n")
    print(
        f"{spec.name}: {size} B, train accuracy {train_accuracy:.3f}, max|onnx-torch| "
        f"{check['max_abs_diff_vs_torch']:.2e}, argmax agreement {check['argmax_agreement']:.3f}, ops {meta['ops']}"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="zoo models folder (e.g. tests/zoo/models)")
    parser.add_argument("--only", nargs="*", help="names of the models to make (default: all)")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    names = {s.name for s in SPECS}
    unknown = set(args.only or []) - names
    if unknown:
        parser.error(f"unknown model(s) {sorted(unknown)}; known: {sorted(names)}")
    for spec in SPECS:
        if not args.only or spec.name in args.only:
            make(spec, args.out)


if __name__ == "__main__":
    main()
