"""The benchmarked architectures written in PyTorch, as a user of PyTorch would write them.

Same layer sizes, inputs, loss (cross-entropy) and optimiser (Adam 1e-3) as the
lyric_jax models built by `bench.harness.build_model`. PyTorch is an optional,
bench-only dependency (`pip install -e ".[bench]"`, CPU build; `bench.gpu` times a CUDA
build on `device="cuda"`, where `nn.LSTM` runs cuDNN).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from bench import timing


def _masked_mean(x, mask):
  mask = mask.unsqueeze(-1).float()
  return (x * mask).sum(1) / mask.sum(1).clamp(min=1)


def _last_state(outputs, lengths, hidden, bidirectional):
  """Forward state at each row's last real token (+ backward state at position 0)."""
  idx = (lengths - 1).clamp(min=0).view(-1, 1, 1).expand(-1, 1, hidden)
  final = outputs[..., :hidden].gather(1, idx).squeeze(1)
  return torch.cat([final, outputs[:, 0, hidden:]], -1) if bidirectional else final


class AttentionPool(nn.Module):
  def __init__(self, features, attn_size):
    super().__init__()
    self.proj, self.score = nn.Linear(features, attn_size), nn.Linear(attn_size, 1, bias=False)

  def forward(self, x, mask):
    scores = self.score(torch.tanh(self.proj(x))).squeeze(-1).masked_fill(~mask, -1e9)
    return (torch.softmax(scores, -1).unsqueeze(-1) * x).sum(1)


class Bag(nn.Module):
  def __init__(self, vocab, embed, hidden, classes):
    super().__init__()
    self.embed = nn.Embedding(vocab, embed)
    self.mlp = nn.Sequential(nn.Linear(embed, hidden), nn.ReLU(), nn.Linear(hidden, classes))

  def forward(self, tokens, lengths):
    return self.mlp(_masked_mean(self.embed(tokens), tokens != 0))


class Recurrent(nn.Module):
  def __init__(self, vocab, embed, hidden, classes, cell="lstm", bidirectional=False, attention=False):
    super().__init__()
    self.embed = nn.Embedding(vocab, embed)
    self.rnn = {"lstm": nn.LSTM, "gru": nn.GRU}[cell](embed, hidden, batch_first=True,
                                                      bidirectional=bidirectional)
    width = hidden * (2 if bidirectional else 1)
    self.attention = AttentionPool(width, hidden) if attention else None
    self.head = nn.Linear(width, classes)
    self.hidden, self.bidirectional = hidden, bidirectional

  def forward(self, tokens, lengths):
    outputs, _ = self.rnn(self.embed(tokens))
    if self.attention is not None:
      return self.head(self.attention(outputs, tokens != 0))
    return self.head(_last_state(outputs, lengths, self.hidden, self.bidirectional))


class HAN(nn.Module):
  def __init__(self, vocab, embed, hidden, classes):
    super().__init__()
    half = hidden // 2
    self.embed = nn.Embedding(vocab, embed)
    self.words = nn.GRU(embed, half, batch_first=True, bidirectional=True)
    self.word_attention = AttentionPool(hidden, hidden)
    self.lines = nn.GRU(hidden, half, batch_first=True, bidirectional=True)
    self.line_attention = AttentionPool(hidden, hidden)
    self.head = nn.Linear(hidden, classes)

  def forward(self, tokens, lengths):
    b, l, w = tokens.shape
    words, _ = self.words(self.embed(tokens.view(b * l, w)))
    line_vecs = self.word_attention(words, tokens.view(b * l, w) != 0).view(b, l, -1)
    lines, _ = self.lines(line_vecs)
    return self.head(self.line_attention(lines, (tokens != 0).any(-1)))


class CNN(nn.Module):
  def __init__(self, vocab, embed, hidden, classes):
    super().__init__()
    self.embed = nn.Embedding(vocab, embed)
    self.conv = nn.Conv1d(embed, hidden, 5)     # 'VALID', as the JAX model
    self.norm = nn.BatchNorm1d(hidden, eps=1e-3, momentum=0.01)
    self.head = nn.Sequential(nn.Linear(hidden, 64), nn.Dropout(0.2), nn.Linear(64, classes))

  def forward(self, tokens, lengths):
    h = self.norm(torch.relu(self.conv(self.embed(tokens).transpose(1, 2))))   # [B, F, T-4]
    starts = torch.arange(h.shape[-1], device=h.device).unsqueeze(0)
    inside = (starts + self.conv.kernel_size[0] <= lengths.unsqueeze(1)).unsqueeze(1)
    return self.head(h.masked_fill(~inside, float("-inf")).amax(-1))


def build(name: str, vocab: int, embed: int, hidden: int, classes: int) -> nn.Module:
  recurrent = {"lstm": {}, "gru": {"cell": "gru"}, "birnn_lstm": {"bidirectional": True},
               "attn_lstm": {"attention": True}}
  if name in recurrent:
    return Recurrent(vocab, embed, hidden, classes, **recurrent[name])
  return {"bag": Bag, "han": HAN, "cnn": CNN}[name](vocab, embed, hidden, classes)


def _tensors(batch: dict, device: str) -> tuple:
  return tuple(torch.from_numpy(np.asarray(batch[k], np.int64)).to(device) for k in ("tokens", "lengths", "label"))


def _sync(device: str):
  """Waits for a step's kernels (CUDA launches them asynchronously)."""
  return (lambda _: torch.cuda.synchronize()) if torch.device(device).type == "cuda" else (lambda out: out)


def time_training(model: nn.Module, batches: list[dict], steps_count: int = 10, device: str = "cpu") -> float:
  """Train steps/s (forward, cross-entropy, backward, Adam) on ``device``, after one warm-up step."""
  data = [_tensors(b, device) for b in batches]
  model.to(device)
  optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
  model.train()

  def step(i):
    tokens, lengths, label = data[i % len(data)]
    optimizer.zero_grad(set_to_none=True)
    nn.functional.cross_entropy(model(tokens, lengths), label).backward()
    optimizer.step()

  return timing.median_rate(step, steps_count, sync=_sync(device))


def time_inference(model: nn.Module, batches: list[dict], steps_count: int = 10, device: str = "cpu") -> float:
  data = [_tensors(b, device) for b in batches]
  model.to(device).eval()
  with torch.inference_mode():
    return timing.median_rate(lambda i: model(*data[i % len(data)][:2]), steps_count, sync=_sync(device))
