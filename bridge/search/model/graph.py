"""all-MiniLM-L6-v2 written out as an OpenVINO graph, straight from the weights file's tensors.

The model is a small BERT (6 layers, 12 heads of 32, hidden size 384) whose sentence vector is
the mean of its token vectors over the attention mask, scaled to length 1, as its model card and
sentence-transformers use it. Building the graph here, from the tensors' names in
`model.safetensors`, means no exported graph is committed and nothing needs PyTorch to make one;
the reference-vector test (`tests/test_sentence_model.py`) is what holds this code to the model.
"""
from __future__ import annotations

import numpy as np
import openvino as ov
import openvino.opset13 as ops

LAYERS = 6
HEADS = 12
HEAD_SIZE = 32
HIDDEN = HEADS * HEAD_SIZE
LAYER_NORM_EPSILON = 1e-12
# What BERT adds to the attention scores of padding, so that softmax gives it no weight.
PADDING_SCORE = -10_000.0

Weights = dict[str, np.ndarray]


def sentence_graph(weights: Weights) -> ov.Model:
    """Token ids and attention mask (batch x tokens, int64) in; one unit-length float32 vector per row out."""
    ids = ops.parameter([-1, -1], np.int64, name="input_ids")
    mask = ops.parameter([-1, -1], np.int64, name="attention_mask")
    present = ops.convert(mask, "f32")
    hidden = _embeddings(weights, ids)
    # One row of scores per text, broadcast over heads and query positions: [batch, 1, 1, tokens].
    padding = ops.unsqueeze(ops.multiply(ops.subtract(_scalar(1.0), present), _scalar(PADDING_SCORE)), _ints(1, 2))
    for layer in range(LAYERS):
        hidden = _layer(weights, f"encoder.layer.{layer}.", hidden, padding)
    return ov.Model([_mean_scaled_to_one(hidden, present)], [ids, mask], "all-MiniLM-L6-v2")


def _embeddings(weights: Weights, ids: ov.Node) -> ov.Node:
    tokens = ops.squeeze(ops.gather(ops.shape_of(ids), _ints(1), _scalar(0, np.int64)), _ints(0))
    positions = ops.range(_scalar(0, np.int64), tokens, _scalar(1, np.int64), "i64")
    words = ops.gather(_constant(weights, "embeddings.word_embeddings.weight"), ids, _scalar(0, np.int64))
    places = ops.gather(_constant(weights, "embeddings.position_embeddings.weight"), positions, _scalar(0, np.int64))
    # Every token is of the first segment: a sentence vector is made from one text.
    segment = ops.constant(weights["embeddings.token_type_embeddings.weight"][0])
    return _layer_norm(weights, "embeddings.LayerNorm", ops.add(ops.add(words, places), segment))


def _layer(weights: Weights, prefix: str, hidden: ov.Node, padding: ov.Node) -> ov.Node:
    def heads(name: str) -> ov.Node:
        split = ops.reshape(_linear(weights, f"{prefix}attention.self.{name}", hidden), _ints(0, 0, HEADS, HEAD_SIZE), True)
        return ops.transpose(split, _ints(0, 2, 1, 3))

    scores = ops.multiply(ops.matmul(heads("query"), heads("key"), False, True), _scalar(1 / np.sqrt(HEAD_SIZE)))
    context = ops.matmul(ops.softmax(ops.add(scores, padding), -1), heads("value"), False, False)
    joined = ops.reshape(ops.transpose(context, _ints(0, 2, 1, 3)), _ints(0, 0, HIDDEN), True)
    attended = _layer_norm(weights, f"{prefix}attention.output.LayerNorm",
                           ops.add(_linear(weights, f"{prefix}attention.output.dense", joined), hidden))
    widened = ops.gelu(_linear(weights, f"{prefix}intermediate.dense", attended), "erf")
    return _layer_norm(weights, f"{prefix}output.LayerNorm",
                       ops.add(_linear(weights, f"{prefix}output.dense", widened), attended))


def _mean_scaled_to_one(hidden: ov.Node, present: ov.Node) -> ov.Node:
    weight = ops.unsqueeze(present, _ints(2))
    summed = ops.reduce_sum(ops.multiply(hidden, weight), _ints(1), False)
    mean = ops.divide(summed, ops.maximum(ops.reduce_sum(weight, _ints(1), False), _scalar(1e-9)))
    length = ops.sqrt(ops.reduce_sum(ops.multiply(mean, mean), _ints(1), True))
    return ops.divide(mean, ops.maximum(length, _scalar(1e-12)))


def _linear(weights: Weights, prefix: str, inputs: ov.Node) -> ov.Node:
    """PyTorch's Linear: the stored weight is [out, in], so the product takes it transposed."""
    product = ops.matmul(inputs, _constant(weights, f"{prefix}.weight"), False, True)
    return ops.add(product, _constant(weights, f"{prefix}.bias"))


def _layer_norm(weights: Weights, prefix: str, inputs: ov.Node) -> ov.Node:
    normal = ops.mvn(inputs, _ints(-1), True, LAYER_NORM_EPSILON, "inside_sqrt")
    return ops.add(ops.multiply(normal, _constant(weights, f"{prefix}.weight")), _constant(weights, f"{prefix}.bias"))


def _constant(weights: Weights, name: str) -> ov.Node:
    return ops.constant(weights[name], shared_memory=True)


def _scalar(value: float, dtype: type = np.float32) -> ov.Node:
    return ops.constant(np.array(value, dtype=dtype))


def _ints(*values: int) -> ov.Node:
    """Axes, a shape or a permutation, as the operators take them."""
    return ops.constant(np.array(values, dtype=np.int64))
