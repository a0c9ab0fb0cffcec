"""Why a trained run predicted what it did for one text: its attention over the tokens.

The text is cleaned by the run's source, tokenized by the run's fitted tokenizer and
truncated at its max length, exactly as in training; the model is applied with
``mutable=['intermediates']`` to read the token attention it sows
(``lyric_jax.models.intermediates``). Out-of-vocabulary tokens are shown as ``UNK``.
"""

from __future__ import annotations

import dataclasses
import functools
from pathlib import Path

import jax
import numpy as np

from lyric_jax.data import sources
from lyric_jax.data.encode import Preprocessor
from lyric_jax.data.errors import DataError
from lyric_jax.data.tokenize import UNK, encode_chars, encode_flat
from lyric_jax.models.intermediates import read_attention
from lyric_jax.report.attention import attention_heatmap
from lyric_jax.run import build
from lyric_jax.run.results import choose_replica
from lyric_jax.run.spec import load_spec

UNK_SHOWN = "UNK"


@dataclasses.dataclass
class Explanation:
  tokens: list[str]                 # as the model read them (lower-cased, truncated; UNK for unknown)
  weights: np.ndarray               # [len(tokens)] attention weights, summing to 1
  label: str                        # predicted label
  probabilities: dict[str, float]

  def describe(self) -> str:
    probs = ", ".join(f"{k} {v:.3f}" for k, v in self.probabilities.items())
    top = np.argsort(-self.weights)[:5]
    focus = ", ".join(f"{self.tokens[i]} {self.weights[i]:.3f}" for i in top)
    return f"predicted {self.label} ({probs}); most attended: {focus}"


def explain(run_dir: str | Path, text: str, replica: str = "best") -> Explanation:
  run_dir = Path(run_dir)
  spec = load_spec(run_dir)
  preprocessor = Preprocessor.load(run_dir)
  if preprocessor.tokenizer is None or preprocessor.feature_names:
    raise DataError("Explaining needs a text-only model; this run also reads features.")
  cleaned = sources.get(spec.dataset).clean(text, spec.dataset_options)
  tokens, lengths = encode_flat(preprocessor.tokenizer, [cleaned], preprocessor.max_len)
  n = int(lengths[0])
  if n == 0:
    raise DataError(f"{text!r} has no tokens the model can read")
  batch = {"tokens": tokens, "lengths": lengths}
  if preprocessor.max_chars:   # a model that also reads the text's bytes (char n-grams)
    batch["chars"], batch["char_lengths"] = encode_chars([cleaned], preprocessor.max_chars)
  trained = build.restore(spec, preprocessor, run_dir, batch)
  step = _explain_step(trained.objective, trained.model.apply, spec.model)
  probs, weights = step(trained.params, trained.model_state, batch)
  probs = choose_replica(np.asarray(probs), trained.best_score, replica)
  weights = choose_replica(np.asarray(weights), trained.best_score, replica)[:n]
  unk = preprocessor.tokenizer.token_to_id(UNK)
  shown = [UNK_SHOWN if i == unk else preprocessor.tokenizer.id_to_token(int(i)) for i in tokens[0, :n]]
  return Explanation(shown, weights, preprocessor.labels[int(np.argmax(probs))],
                     {label: float(p) for label, p in zip(preprocessor.labels, probs)})


def explain_to_png(run_dir: str | Path, text: str, path: str | Path, replica: str = "best") -> Explanation:
  """Explains ``text`` and writes its attention heatmap to ``path``."""
  explanation = explain(run_dir, text, replica)
  title = f"Predicted: {explanation.label} (p = {max(explanation.probabilities.values()):.2f})"
  attention_heatmap(explanation.tokens, explanation.weights, path, title=title)
  return explanation


# Cached like the train/eval steps: explaining several texts with one run compiles once.
@functools.lru_cache(maxsize=None)
def _explain_step(objective, apply_fn, model_name: str):
  """(params, model_state, batch of 1) → per replica: probabilities [P, C], attention [P, T]."""
  def one(params, model_state, batch):
    logits, state = apply_fn({"params": params, **model_state}, batch, train=False,
                             mutable=["intermediates"])
    return objective.outputs(logits)["probabilities"][0], token_attention(state, batch, model_name)[0]
  return jax.jit(jax.vmap(one, in_axes=(0, 0, None)))


def token_attention(state: dict, batch: dict, model_name: str):
  """The token attention [B, T] the model sows under the intermediates contract."""
  tokens = read_attention(state, batch).tokens
  if tokens is None:
    raise DataError(f"Model {model_name!r} sows no token attention to explain "
                    "(use an attention model, e.g. --model=attn_lstm or --model=transformer).")
  return tokens
