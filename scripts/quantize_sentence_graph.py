"""Write the int8 graph a build encodes sections with, without its weights (decision 0004).

A maintainer runs this after `scripts/export_sentence_graph.py`, whenever the float32 graph
changes; the product never does. It needs onnx (the `export` extra, `pip install -e '.[export]'`)
beside ONNX Runtime. It gives the committed float32 graph its verified weights, runs ONNX
Runtime's dynamic quantiser over it (int8 weights, one scale per output channel, the matrix
products and fused attentions only: the embeddings stay float32), and writes the result with
every tensor made from the weights marked external, as the float32 graph is written.

The loader makes the int8 tensors itself, in numpy (`bridge.search.model.weights.quantize_per_channel`),
from the checksummed weights, so no quantised copy of the weights is committed. This script
checks that each tensor it makes is the quantiser's bit for bit, and records in `INT8_QUANTIZED`
which float tensors are quantised.

    python scripts/quantize_sentence_graph.py   # rewrites bridge/search/model/all-minilm-l6-v2-int8.{onnx,json}
"""
from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np
import onnx
from onnx import numpy_helper
from onnxruntime.quantization import QuantType, quantize_dynamic
from sentence_graph_file import write_without_weights

from bridge.search.model.weights import (
    GRAPH, INT8_GRAPH, INT8_QUANTIZED, QUANTIZED_PARTS, WEIGHTS_FILE, int8_tensors, verified_weights)

# Quantised: the six fused attentions and the eighteen dense layers. The embedding lookup is left in
# float32: quantising it cost accuracy (lowest cosine to float32 0.979 against 0.988 on the reference
# texts) and no time, since it is a table lookup, not a product.
QUANTIZED_OPERATORS = ["MatMul", "Attention"]


def quantized_graph(weights: dict[str, np.ndarray], folder: Path) -> onnx.ModelProto:
    """ONNX Runtime's dynamic per-channel int8 quantisation of the float32 graph, given its weights."""
    graph = onnx.load_model_from_string(GRAPH.read_bytes())
    for tensor in graph.graph.initializer:
        if tensor.name in weights:
            tensor.CopyFrom(numpy_helper.from_array(weights[tensor.name], tensor.name))
    full, quantized = folder / "float32.onnx", folder / "int8.onnx"
    onnx.save(graph, str(full))
    quantize_dynamic(str(full), str(quantized), weight_type=QuantType.QInt8, per_channel=True,
                     op_types_to_quantize=QUANTIZED_OPERATORS,
                     extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
    return onnx.load(str(quantized))


def write(graph_path: Path, quantized_path: Path) -> None:
    """Write the int8 graph without the tensors the loader makes, after checking it makes each one bit for bit."""
    weights = verified_weights()
    with tempfile.TemporaryDirectory() as folder:
        graph = quantized_graph(weights, Path(folder))
    stored = {tensor.name: numpy_helper.to_array(tensor) for tensor in graph.graph.initializer}
    quantized = sorted(name for name in weights if name + QUANTIZED_PARTS[0] in stored)
    made = int8_tensors(weights, quantized)
    for name, array in made.items():
        if name not in stored:
            raise SystemExit(f"{name} is not a tensor of the quantised graph")
        if array.dtype != stored[name].dtype or array.shape != stored[name].shape \
                or not np.array_equal(array, stored[name]):
            raise SystemExit(f"{name}: the numpy recipe does not make the quantiser's tensor bit for bit")
    write_without_weights(graph, made, graph_path)
    quantized_path.write_text(json.dumps(quantized, indent=1) + "\n", encoding="utf-8")
    print(f"{graph_path}: {graph_path.stat().st_size} bytes; {len(quantized)} tensors quantised per channel, "
          f"{len(made)} made from {WEIGHTS_FILE} at load")


def main() -> None:
    argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter).parse_args()
    write(INT8_GRAPH, INT8_QUANTIZED)


if __name__ == "__main__":
    main()
