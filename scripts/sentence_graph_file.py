"""Writing a sentence-model graph without its weights, shared by the maintainer scripts that make one (decision 0004).

The product gives the graph its tensors at load, made from the checksummed weights, so the
committed file keeps only their names, types and shapes: a few dozen KB instead of 90 MB.
"""
from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

import onnx
from onnx import numpy_helper
from onnx.external_data_helper import set_external_data

from bridge.search.model.weights import WEIGHTS_FILE

# A graph without its weights is a few dozen KB; anything above this would mean weights stayed in.
EMBEDDED_BYTES_LIMIT = 1_000_000


def write_without_weights(graph: onnx.ModelProto, made_at_load: Collection[str], path: Path) -> None:
    """Write `graph` to `path` with the tensors named in `made_at_load` marked external and left out."""
    for tensor in graph.graph.initializer:
        if tensor.name in made_at_load:
            # As raw data, which is what can be marked external (the quantiser writes scales as a list).
            tensor.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(tensor), tensor.name))
            set_external_data(tensor, location=WEIGHTS_FILE)
            tensor.ClearField("raw_data")
    embedded = sum(len(tensor.raw_data) for tensor in graph.graph.initializer)
    if embedded > EMBEDDED_BYTES_LIMIT:
        raise SystemExit(f"{embedded} bytes of tensors stayed in the graph: some weights were not matched")
    path.write_bytes(graph.SerializeToString())
