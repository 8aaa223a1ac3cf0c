"""The sentence model on OpenVINO: the vectors PyTorch made, the weights it was made for, and no load where none is needed.

`tests/data/reference_vectors.npz` holds 40 texts (customer queries, sections of the sample help
centre and of the shared corpus, error codes, accents, other scripts, emoji, a text past the
256-token limit) and the vectors the PyTorch encoder of commit d382e96 (`bridge/search/meaning.py`
there: transformers' BertModel, mean pooling, L2 norm, 256 tokens) gave them, made once before
PyTorch left the install.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bridge.search.meaning import encoder
from bridge.search.model.weights import WEIGHTS_FILE, WEIGHTS_SHA256, WeightsMismatch, model_dir, verified_weights
from bridge.settings import PROJECT_ROOT

REFERENCE = Path(__file__).parent / "data" / "reference_vectors.npz"
SEARCH_MODULES = ("openvino", "tokenizers", "safetensors", "torch")


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


def test_weights_other_than_the_checksummed_ones_are_refused(tmp_path: Path) -> None:
    changed = bytearray((model_dir() / WEIGHTS_FILE).read_bytes())
    changed[-1] ^= 0xFF  # one bit of one weight: a file that loads and ranks, differently
    (tmp_path / WEIGHTS_FILE).write_bytes(changed)
    with pytest.raises(WeightsMismatch) as refused:
        verified_weights(tmp_path)
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
