"""The sentence model as ONNX Runtime runs it: the committed graph, the verified weights, the tokenizer.

Nothing here imports PyTorch: the graph was exported once (`scripts/export_sentence_graph.py`,
decision 0004) and its weights are handed to ONNX Runtime from the package's safetensors file.
The packaged `tokenizer.json` pads every input to 128 tokens; that padding is turned off, so a
five-word query costs five words, and a batch is padded only to its own longest text.

There are two graphs of the same model (decision 0004): queries are answered by the float32
graph, which gives the vectors PyTorch gave; a build encodes sections with the int8 graph, which
costs about half the CPU time for vectors close to those (decision 0004 has the figures).
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import onnxruntime as ort
from tokenizers import Tokenizer

from bridge.search.model.weights import (GRAPH, INT8_GRAPH, INT8_QUANTIZED, TOKENIZER_FILE, WEIGHTS_SHA256,
                                         model_dir, verified_int8_tensors, verified_weights)

# The model was trained on up to 256 word pieces (sentence-transformers' setting for it); what
# the index's vectors were made with since decision 0002.
MAX_TOKENS = 256
INPUTS = ("input_ids", "attention_mask")


@dataclass(frozen=True)
class Graph:
    """A committed graph (without weights), how its tensors are made from the verified weights, and what decides them."""

    name: str
    path: Path
    tensors: Callable[[], dict[str, np.ndarray]]
    recipes: tuple[Path, ...]  # committed files besides the graph that decide its tensors


QUERIES = Graph("float32", GRAPH, verified_weights, ())
SECTIONS = Graph("int8", INT8_GRAPH, verified_int8_tensors, (INT8_QUANTIZED,))
GRAPHS = {graph.name: graph for graph in (QUERIES, SECTIONS)}


def new_session(weights: dict[str, np.ndarray], threads: int, graph: Graph) -> ort.InferenceSession:
    """A session of `graph` on `threads` intra-op threads, given its tensors from memory (`graph.tensors()`).

    ONNX Runtime uses the arrays in place, so the caller keeps `weights` for as long as the session.
    It refuses a tensor whose type or shape is not the one the graph declares.
    """
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.add_external_initializers(list(weights), [ort.OrtValue.ortvalue_from_numpy(array) for array in weights.values()])
    return ort.InferenceSession(graph.path.read_bytes(), options, providers=["CPUExecutionProvider"])


def new_tokenizer() -> Tokenizer:
    """The model's word-piece tokenizer, truncating at `MAX_TOKENS`, with no fixed padding."""
    tokenizer = Tokenizer.from_file(str(model_dir() / TOKENIZER_FILE))
    tokenizer.no_padding()
    tokenizer.enable_truncation(MAX_TOKENS)
    return tokenizer


@lru_cache(maxsize=2)
def model_fingerprint(graph: Graph) -> str:
    """Changes whenever the same text could get another vector: other weights, graph, recipe, tokenizer or length."""
    digest = hashlib.sha256()
    digest.update(WEIGHTS_SHA256.encode())
    digest.update(graph.path.read_bytes())
    for recipe in graph.recipes:
        digest.update(recipe.read_bytes())
    digest.update((model_dir() / TOKENIZER_FILE).read_bytes())
    digest.update(str(MAX_TOKENS).encode())
    return digest.hexdigest()
