"""What a model is trained for, on device: its loss and its per-batch metric sums.

Metric statistics are *sums over examples* (weighted, so padding rows count 0),
accumulated on device across batches and turned into rates once per epoch on the
host (``train.metrics``): never averages of per-batch averages.

Two weights, two jobs: ``batch['weight']`` is the padding mask (1 real row, 0
padding) and decides what every metric counts; the optional
``batch['sample_weight']`` (e.g. inverse score-bin frequency, study S2) reweights
only the loss that is optimised. Metrics stay plain per-example rates.

Every objective offers the same jittable interface: ``loss``, ``outputs`` (per-example
predictions: class probabilities or scores), ``output_stats`` (summed statistics of given
outputs) and ``stats`` (the same from the model's raw outputs). Metrics always come from
``output_stats``, whether the outputs are one replica's, the population's mean (the
ensemble) or a classic baseline's, so every number a run reports is computed the same way.
"""

from __future__ import annotations

import dataclasses
from typing import Mapping

import jax
import jax.numpy as jnp
import optax


@dataclasses.dataclass(frozen=True)
class ObjectiveSpec:
  """What a run optimises (part of the RunSpec, so ``predict`` rebuilds the same objective).

  ``sample_weights='inverse_bin'`` weights each training example by 1 / (count of its
  bin): score runs use ``weight_bins`` equal-width bins over the training score range
  (study S2), classification runs use the classes themselves.
  """
  kind: str = "classification"     # 'classification' | 'regression'
  loss: str = "cross_entropy"      # classification: 'cross_entropy'; regression: 'mae' | 'mse' | 'huber'
  sample_weights: str = "none"     # 'none' | 'inverse_bin'
  weight_bins: int = 10
  label_smoothing: float = 0.0     # classification: training targets (1 - ε)·one-hot + ε/classes

  def __post_init__(self):
    losses = {"classification": ("cross_entropy",), "regression": tuple(REGRESSION_LOSSES)}
    if self.kind not in losses:
      raise ValueError(f"objective kind must be one of {sorted(losses)}, got {self.kind!r}")
    if self.loss not in losses[self.kind]:
      raise ValueError(f"a {self.kind} objective takes loss {losses[self.kind]}, got {self.loss!r}")
    if not 0 <= self.label_smoothing < 1 or (self.label_smoothing and self.kind != "classification"):
      raise ValueError(f"label_smoothing is in [0, 1), for classification only, got {self.label_smoothing}")
    if self.sample_weights not in ("none", "inverse_bin"):
      raise ValueError(f"sample_weights must be 'none' or 'inverse_bin', got {self.sample_weights!r}")

  @property
  def target(self) -> str:
    """How labels are encoded (``Preprocessor`` target mode): class ids or float scores."""
    return "score" if self.kind == "regression" else "classes"


def loss_weights(batch: Mapping[str, jnp.ndarray]) -> jnp.ndarray:
  """Per-example weights of the optimised loss: padding mask × optional sample weights."""
  weight = batch["weight"]
  return weight * batch["sample_weight"] if "sample_weight" in batch else weight


def weighted_mean_loss(per_example: jnp.ndarray, batch: Mapping[str, jnp.ndarray]) -> jnp.ndarray:
  """Σ sample_weight·loss over real rows / number of real rows (Keras' sample_weight semantics).

  Dividing by the row count rather than by Σ sample_weight keeps each example's weight
  meaningful across batches; with weights normalised to mean 1 the loss stays on the
  scale of the unweighted metric (so learning rates transfer).
  """
  return (per_example * loss_weights(batch)).sum() / jnp.maximum(batch["weight"].sum(), 1e-9)


@dataclasses.dataclass(frozen=True)
class Classification:
  num_classes: int
  select_metric: str = "accuracy"   # the validation metric that picks the best epoch (train.metrics)
  label_smoothing: float = 0.0      # of the training loss only: reported losses stay plain cross-entropy

  def loss(self, logits, batch: Mapping[str, jnp.ndarray]) -> jnp.ndarray:
    if self.label_smoothing:
      targets = optax.smooth_labels(jax.nn.one_hot(batch["label"], self.num_classes), self.label_smoothing)
      ce = optax.softmax_cross_entropy(logits, targets)
    else:
      ce = optax.softmax_cross_entropy_with_integer_labels(logits, batch["label"])
    return weighted_mean_loss(ce, batch)

  def stats(self, logits, batch: Mapping[str, jnp.ndarray]) -> dict[str, jnp.ndarray]:
    return self.output_stats(self.outputs(logits), batch)

  def output_stats(self, outputs: Mapping[str, jnp.ndarray], batch: Mapping[str, jnp.ndarray]) -> dict:
    """Summed statistics of class probabilities (any model's, or a mean of several)."""
    probs, weight = outputs["probabilities"], batch["weight"]
    true_prob = jnp.take_along_axis(probs, batch["label"][:, None], -1)[:, 0]
    # Clipped: a probability that underflowed to 0 (or a baseline's exact 0) costs -log(tiny), not inf.
    ce = -jnp.log(jnp.maximum(true_prob, jnp.finfo(probs.dtype).tiny))
    true = jax.nn.one_hot(batch["label"], self.num_classes) * weight[:, None]
    pred = jax.nn.one_hot(jnp.argmax(probs, -1), self.num_classes)
    top5 = jax.lax.top_k(probs, min(5, self.num_classes))[1] == batch["label"][:, None]
    return {
        "loss_sum": (ce * loss_weights(batch)).sum(),
        "count": weight.sum(),
        "confusion": true.T @ pred,               # [true, predicted], weighted counts
        "top5_correct": (top5.any(-1) * weight).sum(),
    }

  def outputs(self, logits) -> dict[str, jnp.ndarray]:
    return {"probabilities": jax.nn.softmax(logits, -1)}


# --- Regression (study S2: review text → score) --------------------------------------------

# Huber's quadratic zone: errors under a tenth of the score range (scores are fractions of the top
# score, e.g. rating/10) are squared, larger ones cost |e| - δ/2. Divided by δ, so large errors keep
# MAE's unit slope and a learning rate tuned for MAE still fits.
HUBER_DELTA = 0.1
REGRESSION_LOSSES = {"mae": jnp.abs, "mse": jnp.square,
                     "huber": lambda error: optax.huber_loss(error, delta=HUBER_DELTA) / HUBER_DELTA}


def _scores(outputs: jnp.ndarray) -> jnp.ndarray:
  """A model's [B, 1] (one output unit) or [B] output as [B] predicted scores."""
  return outputs[..., 0] if outputs.ndim == 2 else outputs


@dataclasses.dataclass(frozen=True)
class Regression:
  """Score regression trained with MAE (study S2's choice), MSE or Huber (δ = ``HUBER_DELTA``).

  Stats are weighted sums over examples (absolute, squared and signed error), so MAE,
  RMSE and bias are exact per-example means however the data were batched.
  """
  loss_name: str = "mae"
  select_metric: str = "neg_mae"    # higher is better, like every select metric

  def __post_init__(self):
    if self.loss_name not in REGRESSION_LOSSES:
      raise ValueError(f"regression loss must be one of {sorted(REGRESSION_LOSSES)}, got {self.loss_name!r}")

  def loss(self, outputs, batch: Mapping[str, jnp.ndarray]) -> jnp.ndarray:
    error = _scores(outputs) - batch["label"]
    return weighted_mean_loss(REGRESSION_LOSSES[self.loss_name](error), batch)

  def stats(self, outputs, batch: Mapping[str, jnp.ndarray]) -> dict[str, jnp.ndarray]:
    return self.output_stats(self.outputs(outputs), batch)

  def output_stats(self, outputs: Mapping[str, jnp.ndarray], batch: Mapping[str, jnp.ndarray]) -> dict:
    weight = batch["weight"]
    error = outputs["score"] - batch["label"]
    return {
        "loss_sum": (REGRESSION_LOSSES[self.loss_name](error) * loss_weights(batch)).sum(),
        "abs_error_sum": (jnp.abs(error) * weight).sum(),
        "squared_error_sum": (jnp.square(error) * weight).sum(),
        "error_sum": (error * weight).sum(),
        "count": weight.sum(),
    }

  def outputs(self, outputs) -> dict[str, jnp.ndarray]:
    return {"score": _scores(outputs)}
