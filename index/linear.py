"""A fitted linear model over standardised features, saved as JSON with its version and feature names, so that a
file fitted over other features is refused with a sentence instead of scoring nonsense."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class LinearModel:
    """Weights over standardised features: score = ((x - mean) / scale) · weights + bias."""

    version: int
    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    weights: tuple[float, ...]
    bias: float
    trained_on: str = ""

    def scores(self, x: np.ndarray) -> np.ndarray:
        """The score of each row of `x` (one column per feature, in `features` order)."""
        return ((x - np.asarray(self.mean)) / np.asarray(self.scale)) @ np.asarray(self.weights) + self.bias

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), indent=1) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path, version: int, features: tuple[str, ...], refit: str) -> LinearModel:
        """The model in `path`, which must be of `version` over `features`; `refit` is the command that makes one."""
        data = json.loads(path.read_text(encoding="utf-8"))
        model = cls(**{**data, **{k: tuple(data[k]) for k in ("features", "mean", "scale", "weights")}})
        if model.version != version or model.features != features:
            raise ValueError(f"{path} holds a model of version {model.version} over other features; refit it with '{refit}'")
        return model
