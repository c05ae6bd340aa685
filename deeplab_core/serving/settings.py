"""The inference service's settings: which models, how many replicas, how much of a GPU, how batches form.

Defaults suit one CPU machine (every model, one replica each, the cluster's CPUs shared among them, no GPU). Each
field can be set by an environment variable (below) or by the `python -m deeplab_core.serve start` flag of the same
name. Model names and option lists come from `deeplab_core.config`; threads are not a setting here: a replica
follows the server-wide policy (`config.thread_policy`, applied by `fast_model`), as the app does.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace

from deeplab_core.config import MODEL_NAMES, WEIGHTS_ENV, weights_source

PREFIX = "ATROUS_SERVE_"  # ATROUS_SERVE_MODELS, ATROUS_SERVE_REPLICAS, ATROUS_SERVE_GPUS, ...


@dataclass(frozen=True)
class ServeSettings:
    models: tuple[str, ...] = MODEL_NAMES  # one deployment (a Serve application) each
    weights: str = "pretrained"  # "pretrained", "random" or a folder holding <model name>.pth state dicts
    replicas: int = 1  # per model
    gpus: float = 0.0  # per replica; 0.25 puts four replicas on one GPU
    cpus: float | None = None  # per replica; None: the cluster's CPUs shared evenly, at most 1 each
    max_batch_size: int = 8  # requests stacked into one call of the batch handler
    batch_wait_timeout_s: float = 0.02  # how long a batch waits to fill: a lone request pays at most this
    host: str = "127.0.0.1"  # the HTTP proxy's address; 0.0.0.0 for web servers on other machines
    port: int = 8000

    def weights_for(self, name: str) -> str:
        """What `load_model(weights=...)` gets for `name`: the app's rule for ATROUS_LAB_WEIGHTS."""
        return weights_source(name, self.weights)

    @property
    def device(self) -> str:
        return "cuda" if self.gpus > 0 else "cpu"

    def cpus_each(self, cluster_cpus: float) -> float:
        if self.cpus is not None:
            return self.cpus
        share = cluster_cpus / max(1, self.replicas * len(self.models))
        return max(0.01, min(1.0, round(share, 2)))  # Ray accepts fractions: 3 models fit 2 cores

    def check(self) -> ServeSettings:
        unknown = [m for m in self.models if m not in MODEL_NAMES]
        if unknown or not self.models:
            raise ValueError(f"models must be among {MODEL_NAMES}, got {self.models}")
        if self.replicas < 1 or self.max_batch_size < 1 or self.batch_wait_timeout_s < 0 or self.gpus < 0:
            raise ValueError("replicas and max_batch_size must be >= 1; gpus and batch_wait_timeout_s >= 0")
        return self


def _parse(kind: object, text: str) -> object:
    if "tuple" in str(kind):
        return tuple(part.strip() for part in text.split(",") if part.strip())
    if "int" in str(kind) and "float" not in str(kind):
        return int(text)
    if "float" in str(kind):
        return float(text)
    return text


def from_env(environ: Mapping[str, str] | None = None, **overrides: object) -> ServeSettings:
    """Defaults, then ATROUS_SERVE_<FIELD> and ATROUS_LAB_WEIGHTS, then `overrides` that are not None."""
    env = os.environ if environ is None else environ
    values: dict[str, object] = {}
    for f in fields(ServeSettings):
        name = WEIGHTS_ENV if f.name == "weights" else PREFIX + f.name.upper()
        if env.get(name):
            values[f.name] = _parse(f.type, env[name])
    values.update({k: v for k, v in overrides.items() if v is not None})
    return replace(ServeSettings(), **values).check()  # type: ignore[arg-type]
