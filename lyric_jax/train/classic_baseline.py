"""The strong classic baseline beside every run: scikit-learn on the run's own split, tuned on val.

What it fits follows the run's inputs and target:

- text → TF-IDF word 1–2-grams (plus char 2–5-grams for short texts such as tweets) and
  logistic regression (class-balanced when the run selects on a macro metric), or Ridge
  for scores;
- feature rows → histogram gradient boosting;
- text + features → a stack: the text model's out-of-fold outputs on train (k-fold; its
  fitted outputs on val/test) concatenated with the features → gradient boosting.

Each small grid is searched on the validation split by the run's own select metric, and
every metric comes from the run's objective (``metrics.evaluate``: the same code as the
net's), so the two are comparable number for number. scikit-learn is an optional extra
(``pip install 'lyric_jax[classic]'``); without it the result says so.

Runs on the same split (e.g. five nets on one data set) share one fit: the result is kept in
``cache_dir`` under a hash of the split's rows, the objective and this module's ``VERSION``.
"""

from __future__ import annotations

import hashlib
import importlib.util
import itertools
import json
import time
import warnings
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

from lyric_jax.data.table import LABEL, ROW, TEXT, Table
from lyric_jax.run.rundir import write_json_atomic
from lyric_jax.train.metrics import evaluate
from lyric_jax.train.objectives import Classification

VERSION = 2   # bump when what is fitted changes: cached results of older versions are then refitted

# Median text length (characters) up to which texts count as short (a tweet is ≤ 280):
# character n-grams then catch spelling variants, hashtags and emoticons the words miss.
SHORT_TEXT_CHARS = 280
LR_GRID = {"C": (0.3, 1.0, 3.0, 10.0, 30.0)}
RIDGE_GRID = {"alpha": (0.03, 0.1, 0.3, 1.0, 3.0)}
HGB_GRID = {"learning_rate": (0.05, 0.1), "max_leaf_nodes": (15, 31)}
# Boosting costs one tree per class and iteration (S4: 114 trees, ~4 s an iteration on 73k rows):
# its grid is searched on a sample of this many training rows, the winner refitted on all.
BOOSTING_TUNE_ROWS = 20_000
STACK_FOLDS = 5
SEED = 0


def classic_baseline(parts: dict[str, Table], objective, labels: list[str], *, text: bool,
                     cache_dir: str | Path | None = None) -> dict[str, Any]:
  """Fits, tunes on val (by ``objective.select_metric``) and scores the baseline for a run's
  ``parts`` (train/val[/test] Tables).

  ``labels``: the run's class order (the objective's class ids); ``text``: whether the run
  reads the texts (its features are the Tables' ``feature_names``).
  """
  if importlib.util.find_spec("sklearn") is None:
    return {"skipped": "scikit-learn is not installed (pip install 'lyric_jax[classic]')"}
  cached = Path(cache_dir) / f"{cache_key(parts, objective, labels, text)}.json" if cache_dir else None
  if cached is not None and cached.exists():
    return {**json.loads(cached.read_text()), "cached": str(cached)}
  result = _fit(parts, objective, labels, text)
  if cached is not None and "skipped" not in result:
    cached.parent.mkdir(parents=True, exist_ok=True)
    write_json_atomic(cached, result)   # whole or absent: runs may share the folder
  return result


def cache_key(parts: dict[str, Table], objective, labels: list[str], text: bool) -> str:
  """A hash of everything the baseline's result depends on: the split's rows, the task, VERSION."""
  digest = hashlib.sha256(json.dumps([VERSION, repr(objective), list(labels), text]).encode())
  for split in sorted(parts):
    part = parts[split]
    columns = [ROW, LABEL, *part.feature_names, *([TEXT] if text else [])]
    digest.update(split.encode() + pd.util.hash_pandas_object(part.frame[columns], index=False).to_numpy().tobytes())
  return digest.hexdigest()[:20]


def _fit(parts: dict[str, Table], objective, labels: list[str], text: bool) -> dict[str, Any]:
  start = time.perf_counter()
  task = _Task(objective, labels, parts)
  features = bool(parts["train"].feature_names)
  try:
    with warnings.catch_warnings():
      # saga may stop at max_iter on the weakest-regularised grid points; val decides anyway.
      from sklearn.exceptions import ConvergenceWarning
      warnings.simplefilter("ignore", ConvergenceWarning)
      if text and features:
        result = _stack(task)
      elif text:
        result = _text_model(task)
      else:
        result = _boosting(task, {s: _feature_matrix(p) for s, p in parts.items()})
  except ValueError as e:          # e.g. an empty vocabulary: the run's own results still stand
    return {"skipped": f"the classic baseline could not be fitted: {e}"}
  return {**result, "select_metric": objective.select_metric, "fit_seconds": time.perf_counter() - start}


class _Task:
  """The split's targets and how a fitted estimator's predictions become the objective's outputs."""

  def __init__(self, objective, labels: list[str], parts: dict[str, Table]):
    self.objective, self.select_metric, self.parts = objective, objective.select_metric, parts
    self.classes = isinstance(objective, Classification)
    if self.classes:
      index = {label: i for i, label in enumerate(labels)}
      self.y = {s: p.frame[LABEL].map(index).to_numpy(np.int32) for s, p in parts.items()}
    else:
      self.y = {s: p.frame[LABEL].to_numpy(np.float32) for s, p in parts.items()}
    self.num_classes = len(labels)
    self.score_range = (float(self.y["train"].min()), float(self.y["train"].max()))

  def outputs(self, model, x) -> dict[str, np.ndarray]:
    """Class probabilities over every class (a class absent from train gets 0), or clipped scores."""
    if not self.classes:
      return {"score": np.clip(model.predict(x), *self.score_range).astype(np.float32)}
    probs = np.zeros((x.shape[0], self.num_classes), np.float32)
    probs[:, model.classes_] = model.predict_proba(x)
    return {"probabilities": probs}

  def output_matrix(self, outputs: dict[str, np.ndarray]) -> np.ndarray:
    """Outputs as stacking features: [N, C] probabilities or an [N, 1] score."""
    return outputs["probabilities"] if self.classes else outputs["score"][:, None]

  def summaries(self, outputs: dict[str, dict]) -> dict[str, dict]:
    return {s: evaluate(self.objective, out, self.y[s]) for s, out in outputs.items()}


def _grid(grid: dict[str, tuple]) -> list[dict]:
  return [dict(zip(grid, values)) for values in itertools.product(*grid.values())]


def _tune(task: _Task, make: Callable[..., Any], grid: dict[str, tuple], x: dict[str, Any],
          tune_rows: int = 0) -> dict:
  """Fits ``make(**params)`` on train for each grid point and keeps the best on val by the select metric.

  ``tune_rows``: search on a seeded sample of this many training rows (0 = all), then refit the best on all.
  """
  n = len(task.y["train"])
  rows = (np.sort(np.random.default_rng(SEED).choice(n, tune_rows, replace=False)) if 0 < tune_rows < n
          else np.arange(n))
  trials = []
  for params in _grid(grid):
    model = make(**params).fit(x["train"][rows], task.y["train"][rows])
    val = evaluate(task.objective, task.outputs(model, x["val"]), task.y["val"])
    trials.append((val[task.select_metric], params, model))
  _, params, model = max(trials, key=lambda t: t[0])
  if len(rows) < n:
    model = make(**params).fit(x["train"], task.y["train"])
  outputs = {s: task.outputs(model, m) for s, m in x.items() if s != "train"}
  return {"params": params, "outputs": outputs, "tuned_on_rows": len(rows),
          "grid": [{"params": p, f"val_{task.select_metric}": float(v)} for v, p, _ in trials]}


def _report(name: str, task: _Task, tuned: dict, **extra) -> dict:
  summaries = task.summaries(tuned["outputs"])
  return {"name": name, "params": tuned["params"], "grid": tuned["grid"], "val": summaries["val"],
          "test": summaries.get("test"), "train_rows": len(task.y["train"]),
          "tuned_on_rows": tuned["tuned_on_rows"], **extra}


def _text_features(task: _Task):
  """TF-IDF fitted on the train texts; word 1–2-grams, plus char 2–5-grams for short texts."""
  from sklearn.feature_extraction.text import TfidfVectorizer
  from sklearn.pipeline import FeatureUnion
  texts = {s: p.frame[TEXT].astype(str).to_numpy() for s, p in task.parts.items()}
  short = float(np.median([len(t) for t in texts["train"]])) <= SHORT_TEXT_CHARS
  vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
  if short:
    vectorizer = FeatureUnion([("word", vectorizer), ("char", TfidfVectorizer(
        analyzer="char_wb", ngram_range=(2, 5), min_df=2, sublinear_tf=True))])
  vectorizer.fit(texts["train"])
  return {s: vectorizer.transform(t) for s, t in texts.items()}, short


def _text_estimator(task: _Task) -> tuple[Callable[..., Any], dict, str]:
  from sklearn.linear_model import LogisticRegression, Ridge
  if not task.classes:
    return Ridge, RIDGE_GRID, "Ridge"
  # A run that selects on a macro metric weighs classes equally: so does the baseline.
  balanced = "balanced" if task.select_metric.startswith("macro_") else None
  # saga: as accurate as lbfgs on TF-IDF rows here and 5–10× faster (measured on spotify13's lyrics).
  # max_iter bounds the weakly regularised fits (tweets, C 3+: ~1 s an epoch, hundreds of epochs);
  # a fit stopped early is just more regularised, and val judges it like the others.
  make = lambda C: LogisticRegression(C=C, solver="saga", tol=1e-3, max_iter=100, class_weight=balanced,
                                      random_state=SEED)   # saga visits rows in a random order
  return make, LR_GRID, "logistic regression" + (" (class-balanced)" if balanced else "")


def _text_model(task: _Task) -> dict:
  x, short = _text_features(task)
  make, grid, estimator = _text_estimator(task)
  tuned = _tune(task, make, grid, x)
  return _report(f"TF-IDF {_ngrams(short)} + {estimator}", task, tuned)


def _ngrams(short: bool) -> str:
  return "word 1–2-grams + char 2–5-grams" if short else "word 1–2-grams"


def _boosting(task: _Task, x: dict[str, np.ndarray], name: str = "HistGradientBoosting", **extra) -> dict:
  from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
  estimator = HistGradientBoostingClassifier if task.classes else HistGradientBoostingRegressor
  # l2_regularization: without it, Newton steps on many small class probabilities blow up
  # (S4, 114 genres: validation loss 4.0 → 21 in 35 iterations; with 1.0 it falls to 2.8).
  make = lambda **params: estimator(max_iter=200, l2_regularization=1.0, early_stopping=True,
                                    random_state=SEED, **params)
  return _report(name, task, _tune(task, make, HGB_GRID, x, BOOSTING_TUNE_ROWS), **extra)


def _stack(task: _Task) -> dict:
  """Out-of-fold text-model outputs (train) + features → gradient boosting."""
  from sklearn.model_selection import KFold
  x, short = _text_features(task)
  make, grid, estimator = _text_estimator(task)
  text = _tune(task, make, grid, x)
  oof = np.zeros((len(task.y["train"]), task.num_classes if task.classes else 1), np.float32)
  for fit_rows, held_out in KFold(STACK_FOLDS, shuffle=True, random_state=SEED).split(oof):
    model = make(**text["params"]).fit(x["train"][fit_rows], task.y["train"][fit_rows])
    oof[held_out] = task.output_matrix(task.outputs(model, x["train"][held_out]))
  stacked_text = {"train": oof, **{s: task.output_matrix(o) for s, o in text["outputs"].items()}}
  stacked = {s: np.hstack([_feature_matrix(p), stacked_text[s]]) for s, p in task.parts.items()}
  text_only = _report(f"TF-IDF {_ngrams(short)} + {estimator}", task, text)
  return _boosting(task, stacked, f"stack: out-of-fold ({STACK_FOLDS}-fold) TF-IDF {_ngrams(short)} + "
                   f"{estimator} outputs + features → HistGradientBoosting",
                   text_params=text["params"], text_only={k: text_only[k] for k in ("name", "params", "val", "test")})


def _feature_matrix(part: Table) -> np.ndarray:
  return part.frame[list(part.feature_names)].to_numpy(np.float32)
