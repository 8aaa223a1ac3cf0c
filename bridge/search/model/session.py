"""The sentence model as OpenVINO runs it: the graph built from the verified weights, the tokenizer.

Nothing here imports PyTorch: the graph is written out in `graph.py` and given the package's
safetensors tensors. The packaged `tokenizer.json` pads every input to 128 tokens; that padding
is turned off, so a five-word query costs five words, and a batch is padded only to its own
longest text. Where the processor computes in bfloat16 (AMX or AVX-512 BF16), the model runs in
it: decision 0008 has what that costs in cosine and what it gains in time.
"""
from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

import numpy as np
import openvino as ov
from tokenizers import Tokenizer

from bridge.search.model import graph
from bridge.search.model.weights import TOKENIZER_FILE, WEIGHTS_SHA256, model_dir

# The model was trained on up to 256 word pieces (sentence-transformers' setting for it); what
# the index's vectors were made with since decision 0002.
MAX_TOKENS = 256


@lru_cache(maxsize=1)
def _core() -> ov.Core:
    return ov.Core()


@lru_cache(maxsize=1)
def precision() -> str:
    """`bf16` where the processor computes in it, else `f32`: the same on every run of one machine."""
    return "bf16" if "BF16" in _core().get_property("CPU", "OPTIMIZATION_CAPABILITIES") else "f32"


def compiled_model(weights: dict[str, np.ndarray], threads: int) -> ov.CompiledModel:
    """The model compiled for `threads` threads of this machine's CPU, given the weights from memory.

    The graph shares the arrays rather than copying them, so the caller keeps `weights` for as
    long as the compiled model.
    """
    # OpenVINO pins its threads to cores by default. A one-thread model answers queries in a server worker,
    # beside another worker and the network, and did worse pinned (decision 0008, "Serving"); a build's
    # model keeps the default, which its measurements were made with.
    settings = {"INFERENCE_NUM_THREADS": threads, "INFERENCE_PRECISION_HINT": precision(),
                "PERFORMANCE_HINT": "LATENCY", "ENABLE_CPU_PINNING": threads > 1}
    return _core().compile_model(graph.sentence_graph(weights), "CPU", settings)


def new_tokenizer() -> Tokenizer:
    """The model's word-piece tokenizer, truncating at `MAX_TOKENS`, with no fixed padding."""
    tokenizer = Tokenizer.from_file(str(model_dir() / TOKENIZER_FILE))
    tokenizer.no_padding()
    tokenizer.enable_truncation(MAX_TOKENS)
    return tokenizer


@lru_cache(maxsize=1)
def model_fingerprint() -> str:
    """Changes whenever the same text could get another vector: other weights, graph, runtime, precision,
    tokenizer or length."""
    digest = hashlib.sha256()
    digest.update(WEIGHTS_SHA256.encode())
    digest.update(Path(graph.__file__).read_bytes())
    digest.update(f"openvino {ov.get_version()} {precision()}".encode())
    digest.update((model_dir() / TOKENIZER_FILE).read_bytes())
    digest.update(str(MAX_TOKENS).encode())
    return digest.hexdigest()
