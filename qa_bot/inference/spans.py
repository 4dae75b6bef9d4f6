"""Sentence vectors from a chunk's token vectors ("late chunking"), shared by every embedder backend."""

from __future__ import annotations

import numpy as np


def unit(vector: np.ndarray) -> np.ndarray:
    """``vector`` scaled to length 1 (a zero vector stays zero), as float32."""
    norm = float(np.linalg.norm(vector))
    return (vector / norm if norm else vector).astype(np.float32)


def span_vectors(tokens: np.ndarray, offsets: np.ndarray, spans: list[tuple[int, int]],
                 text_vector: np.ndarray) -> np.ndarray:
    """One unit vector per character span: the mean of the contextual token vectors inside it.

    Args:
        tokens: the text's token vectors, one row per token (special tokens included).
        offsets: ``(start, end)`` character offsets per token; special tokens have ``start == end``.
        spans: character spans (sentences) of the text.
        text_vector: used for a span no token covers (cut off by truncation).

    Returns:
        float32 array of shape ``(len(spans), dim)``.
    """
    real = offsets[:, 1] > offsets[:, 0]
    rows = []
    for start, end in spans:
        mask = real & (offsets[:, 0] >= start) & (offsets[:, 1] <= end)
        if not mask.any():  # a span cut off by truncation or inside one token
            mask = real & (offsets[:, 0] < end) & (offsets[:, 1] > start)
        rows.append(unit(tokens[mask].mean(axis=0)) if mask.any() else text_vector)
    return np.asarray(rows, dtype=np.float32).reshape(len(spans), -1)
