"""The exporter corpus: small models made by other people's tools (tests/zoo/models/<name>/).

Each folder holds the model file(s), `inputs.npy` (representative inputs, drawn like the training
data; `inputs.npz` of one array per input name for a model of several inputs) and `meta.json` (exporter,
versions, the script that made it: scripts/make_zoo.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

MODELS = Path(__file__).resolve().parent / "models"


@dataclass(frozen=True)
class CorpusModel:
    """One corpus entry."""

    name: str
    folder: Path
    meta: dict

    @property
    def model_file(self) -> Path:
        return self.folder / self.meta.get("model_file", "model.onnx")

    @property
    def inputs(self) -> Path:
        return self.folder / self.meta.get("inputs_file", "inputs.npy")

    @property
    def quantized(self) -> bool:
        return bool(self.meta["quantized"])

    @property
    def exporter(self) -> str:
        return str(self.meta["exporter"])


def corpus(root: Path = MODELS) -> list[CorpusModel]:
    """Every model of the corpus, sorted by name."""
    return [CorpusModel(p.parent.name, p.parent, json.loads(p.read_text())) for p in sorted(root.glob("*/meta.json"))]
