"""The intermediates contract: the attention a model hands out, under names defined once.

A registry model sows, from its own (top-level) ``__call__``, any of

    tokens  [B, T]     flat text: each token's weight
    lines   [B, L]     line-structured text (HAN): each line's weight
    words   [B, L, W]  and each word's weight within its line

with ``sow_attention(self, tokens=w)``. Each row sums to 1 over real positions, padding gets
exactly 0 and an all-padding row is all zeros. ``read_attention`` is the one reader (the
report's attention.png, ``lyric_jax.explain``): it reads these names only, so anything else a
model sows (e.g. flax's own ``attention_weights`` [B, heads, T, T]) is ignored, and a contract
name with the wrong shape is one clear ``AttentionContractError``.
"""

from __future__ import annotations

from typing import Mapping, NamedTuple

import flax.linen as nn
import jax

COLLECTION = "intermediates"
# Distinct from module names: the HAN's AttentionPool submodules are 'word_attention'/'line_attention'.
NAMES = {"tokens": "attention_over_tokens", "lines": "attention_over_lines", "words": "attention_over_words"}
AXES = {"tokens": "BT", "lines": "BL", "words": "BLW"}   # [B, T], [B, L], [B, L, W]


class AttentionContractError(ValueError):
  """A model sowed a contract name with a shape the contract does not allow."""


class Attention(NamedTuple):
  """What a model sowed; None where it sows nothing. A pytree, so jit/vmap can return it."""
  tokens: jax.Array | None = None   # [B, T]
  lines: jax.Array | None = None    # [B, L]
  words: jax.Array | None = None    # [B, L, W]

  @property
  def sown(self) -> bool:
    return any(w is not None for w in self)


def sow_attention(module: nn.Module, **weights: jax.Array) -> None:
  """Sows ``tokens=``/``lines=``/``words=`` weights under their contract names (shapes checked)."""
  for kind, value in weights.items():
    module.sow(COLLECTION, NAMES[kind], _checked(kind, value))


def read_attention(state: Mapping, batch: Mapping | None = None) -> Attention:
  """The contract's weights in ``state`` (what ``apply(..., mutable=['intermediates'])`` returns).

  With ``batch``, each shape must also match its tokens: ``tokens`` [B, T] for flat text,
  ``lines``/``words`` [B, L] / [B, L, W] for line-structured text.
  """
  sown = state.get(COLLECTION, {})
  found = Attention(**{kind: _checked(kind, sown[name][-1]) for kind, name in NAMES.items() if name in sown})
  if (found.lines is None) != (found.words is None):
    raise AttentionContractError(f"{NAMES['lines']} and {NAMES['words']} are sown together, or neither")
  if batch is not None and found.sown:
    shape = tuple(batch["tokens"].shape)
    expected = {"tokens": shape, "lines": shape[:2], "words": shape}
    for kind, value in found._asdict().items():
      if value is not None and tuple(value.shape) != expected[kind]:
        raise AttentionContractError(f"{NAMES[kind]} has shape {tuple(value.shape)}; "
                                     f"the batch's tokens {shape} want {expected[kind]}")
  return found


def _checked(kind: str, value: jax.Array) -> jax.Array:
  if value.ndim != len(AXES[kind]):
    raise AttentionContractError(f"{NAMES[kind]} must be [{', '.join(AXES[kind])}], got shape {tuple(value.shape)}")
  return value
