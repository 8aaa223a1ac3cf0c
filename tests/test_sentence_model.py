"""The sentence model on ONNX Runtime: the vectors PyTorch made, the weights it was made for, and no load where none is needed.

`tests/data/reference_vectors.npz` holds 40 texts (customer queries, sections of the sample help
centre and of the shared corpus, error codes, accents, other scripts, emoji, a text past the
256-token limit) and the vectors the PyTorch encoder of commit d382e96 (`bridge/search/meaning.py`
there: transformers' BertModel, mean pooling, L2 norm, 256 tokens) gave them, made once before
PyTorch left the install.

Queries are encoded by the float32 graph, held to those vectors at cosine >= 0.9999. A build
encodes sections with the int8 graph (decision 0004), held to them at `INT8_COSINE`: measured
2026-12-05, lowest 0.9879 in one batch and 0.9866 alone (the activations' int8 scale is taken
over the whole batch, so a text's vector moves a little with its batch).
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from bridge.search.meaning import encoder, model_name, section_encoder
from bridge.search.model.session import QUERIES, SECTIONS, model_fingerprint, new_session
from bridge.search.model.weights import (QUANTIZED_PARTS, WEIGHTS_FILE, WEIGHTS_SHA256, WeightsMismatch, model_dir,
                                         quantize_per_channel, verified_int8_tensors, verified_weights)
from bridge.settings import PROJECT_ROOT

REFERENCE = Path(__file__).parent / "data" / "reference_vectors.npz"
SEARCH_MODULES = ("onnxruntime", "tokenizers", "safetensors", "torch")
INT8_COSINE = 0.98


@pytest.fixture(scope="module")
def reference() -> tuple[list[str], np.ndarray]:
    data = np.load(REFERENCE)
    return [str(text) for text in data["texts"]], data["vectors"]


def test_a_batch_of_texts_gets_the_vectors_pytorch_gave_them(reference: tuple[list[str], np.ndarray]) -> None:
    texts, vectors = reference
    cosines = np.sum(encoder().encode(texts) * vectors, axis=1)
    assert cosines.min() >= 0.9999, [texts[i][:40] for i in np.flatnonzero(cosines < 0.9999)]


def test_a_text_alone_gets_the_vector_pytorch_gave_it(reference: tuple[list[str], np.ndarray]) -> None:
    texts, vectors = reference
    for text, vector in zip(texts[::4], vectors[::4]):
        assert float(encoder().encode([text])[0] @ vector) >= 0.9999, text[:40]


def test_sections_encoded_with_the_int8_graph_stay_close_to_the_vectors_pytorch_gave(
        reference: tuple[list[str], np.ndarray]) -> None:
    texts, vectors = reference
    together = np.sum(section_encoder().encode(texts) * vectors, axis=1)
    alone = np.array([float(section_encoder().encode([text])[0] @ vector) for text, vector in zip(texts, vectors)])
    assert together.min() >= INT8_COSINE and alone.min() >= INT8_COSINE, (together.min(), alone.min())
    assert section_encoder().session is not encoder().session


def test_the_int8_recipe_makes_the_tensors_the_graph_declares() -> None:
    tensors = verified_int8_tensors()
    quantized = [name for name in tensors if name.endswith(QUANTIZED_PARTS[0])]
    assert len(quantized) == 24 and all(tensors[name].dtype == np.int8 for name in quantized)
    new_session(tensors, 1, SECTIONS)  # ONNX Runtime refuses a tensor of another type or shape than the graph's
    scale = quantized[0].removesuffix(QUANTIZED_PARTS[0]) + "_scale"
    with pytest.raises(Exception, match="data type does not match"):
        new_session({**tensors, scale: tensors[scale].astype(np.float64)}, 1, SECTIONS)


def test_int8_weights_are_the_float_ones_within_half_a_step_of_their_column() -> None:
    weight = verified_weights()["Attention_0_qkv_weight"]
    quantized, scale, zero_point = quantize_per_channel(weight)
    assert quantized.shape == weight.shape and scale.shape == zero_point.shape == (weight.shape[1],)
    assert np.all(np.abs(quantized.astype(np.float32) * scale - weight) <= scale / 2 * 1.0001)
    assert np.all(np.abs(quantized).max(axis=0) == 127) and not zero_point.any()


def test_section_vectors_are_cached_under_the_int8_graph_not_the_float32_one() -> None:
    assert model_name().startswith("all-MiniLM-L6-v2 int8 ")
    assert model_fingerprint(SECTIONS) in model_name() and model_fingerprint(QUERIES) not in model_name()


@pytest.mark.parametrize("load", [verified_weights, verified_int8_tensors])
def test_weights_other_than_the_checksummed_ones_are_refused(load: Callable[[Path], object], tmp_path: Path) -> None:
    changed = bytearray((model_dir() / WEIGHTS_FILE).read_bytes())
    changed[-1] ^= 0xFF  # one bit of one weight: a file that loads and ranks, differently
    (tmp_path / WEIGHTS_FILE).write_bytes(changed)
    with pytest.raises(WeightsMismatch) as refused:
        load(tmp_path)
    message = str(refused.value)
    assert str(tmp_path / WEIGHTS_FILE) in message and WEIGHTS_SHA256 in message and "make install" in message


def test_missing_weights_say_how_to_get_them(tmp_path: Path) -> None:
    shutil.copy(model_dir() / "tokenizer.json", tmp_path)
    with pytest.raises(WeightsMismatch, match="missing: reinstall the model package"):
        verified_weights(tmp_path)


@pytest.mark.parametrize("arguments", [["--help"], ["check"], ["tickets", "show", "AAAA-AAAA"]])
def test_commands_that_do_not_search_do_not_load_the_model(arguments: list[str], tmp_path: Path) -> None:
    kb = Path(sys.executable).with_name("kb")
    env = {**os.environ, "KB_DATABASE_URL": f"sqlite:///{tmp_path / 'kb.sqlite3'}"}
    run = subprocess.run([sys.executable, "-X", "importtime", kb, *arguments], cwd=PROJECT_ROOT, env=env,
                         capture_output=True, text=True, timeout=120)
    imported = {line.split("|")[-1].strip() for line in run.stderr.splitlines() if line.startswith("import time:")}
    assert run.returncode in (0, 1, 2) and "Traceback" not in run.stderr, run.stderr[-2000:]
    assert imported and not imported & set(SEARCH_MODULES)
