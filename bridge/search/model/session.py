"""The sentence model as ONNX Runtime runs it: the committed graph, the verified weights, the tokenizer.

Nothing here imports PyTorch: the graph was exported once (`scripts/export_sentence_graph.py`,
decision 0004) and its weights are handed to ONNX Runtime from the package's safetensors file.
The packaged `tokenizer.json` pads every input to 128 tokens; that padding is turned off, so a
five-word query costs five words, and a batch is padded only to its own longest text.
"""
from __future__ import annotations

import hashlib
from functools import lru_cache

import numpy as np
import onnxruntime as ort
from tokenizers import Tokenizer

from bridge.search.model.weights import GRAPH, TOKENIZER_FILE, WEIGHTS_SHA256, model_dir

# The model was trained on up to 256 word pieces (sentence-transformers' setting for it); what
# the index's vectors were made with since decision 0002.
MAX_TOKENS = 256
INPUTS = ("input_ids", "attention_mask")


def new_session(weights: dict[str, np.ndarray], threads: int) -> ort.InferenceSession:
    """A session on `threads` intra-op threads, given the weights from memory (`verified_weights`).

    ONNX Runtime uses the arrays in place, so the caller keeps `weights` for as long as the session.
    """
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.add_external_initializers(list(weights), [ort.OrtValue.ortvalue_from_numpy(array) for array in weights.values()])
    return ort.InferenceSession(GRAPH.read_bytes(), options, providers=["CPUExecutionProvider"])


def new_tokenizer() -> Tokenizer:
    """The model's word-piece tokenizer, truncating at `MAX_TOKENS`, with no fixed padding."""
    tokenizer = Tokenizer.from_file(str(model_dir() / TOKENIZER_FILE))
    tokenizer.no_padding()
    tokenizer.enable_truncation(MAX_TOKENS)
    return tokenizer


@lru_cache(maxsize=1)
def model_fingerprint() -> str:
    """Changes whenever the same text could get another vector: other weights, graph, tokenizer or length."""
    digest = hashlib.sha256()
    digest.update(WEIGHTS_SHA256.encode())
    digest.update(GRAPH.read_bytes())
    digest.update((model_dir() / TOKENIZER_FILE).read_bytes())
    digest.update(str(MAX_TOKENS).encode())
    return digest.hexdigest()
