"""Study S3 pieces: IMDB/tweet sources, binary metrics, F1 selection, published numbers, heatmaps."""

import numpy as np
import pandas as pd
import pytest

from lyric_jax.data import sources
from lyric_jax.data.encode import Preprocessor
from lyric_jax.data.errors import DataError
from lyric_jax.report.attention import attention_heatmap, token_grid
from lyric_jax.report.published import published_context, published_metrics
from lyric_jax.run.build import objective_for
from lyric_jax.run.spec import RunSpec
from lyric_jax.train.metrics import classification_summary, resolve_select_metric
from tests import sentiment_fixtures as fx

# --- sources ---------------------------------------------------------------------------------


def test_imdb_csv_and_acl_folder_give_the_same_clean_reviews(tmp_path):
  frame = fx.reviews(12)
  frame.loc[3, "review"] = "   "                                  # empty: dropped and counted
  frame.to_csv(tmp_path / "imdb.csv.gz", index=False)
  acl = fx.write_acl_imdb(tmp_path, frame)
  imdb = sources.get("imdb")
  from_csv, from_dir = imdb.read(tmp_path / "imdb.csv.gz"), imdb.read(tmp_path)   # root holding aclImdb/
  for table in (from_csv, from_dir):
    assert table.drops == {"empty text": 1} and len(table) == 11
    assert not table.frame["text"].str.contains("<br").any()
    assert set(table.frame["label"]) == {"negative", "positive"}
  key = ["label", "text"]
  pd.testing.assert_frame_equal(from_csv.frame[key].sort_values(key).reset_index(drop=True),
                                from_dir.frame[key].sort_values(key).reset_index(drop=True))
  assert len(imdb.read(acl / "train")) == 11                     # one split folder works too
  assert imdb.detect_labels(tmp_path / "imdb.csv.gz") and imdb.detect_labels(acl)
  assert not imdb.detect_labels(acl / "train" / "unsup")         # a folder of .txt: unlabelled
  unlabelled = imdb.read(acl / "train" / "unsup", labeled=False)
  assert len(unlabelled) == 2 and not unlabelled.labeled
  assert imdb.clean("fine<br />film<BR>") == "fine film "


def test_imdb_official_test_part_is_left_out_of_training(tmp_path):
  fx.write_acl_imdb(tmp_path, fx.reviews(10))
  fx.write_acl_imdb(tmp_path, fx.reviews(6, seed=1), split="test")
  table = sources.get("imdb").load(tmp_path, splits=["train"])
  assert len(table) == 10 and table.drops == {"split not selected": 6}
  assert len(sources.get("imdb").read(tmp_path)) == 16          # prediction reads everything


def test_tweets_tsv_layout_escapes_duplicates_and_unlabelled(tmp_path):
  path = tmp_path / "twitter-2013train-A.tsv"
  path.write_text("1\tpositive\tI\\u2019m happy \\ud83d\\ude00\n"
                  "2\tobjective\tbus at 9\n"
                  "1\tpositive\tsame id again\n"              # duplicate id: dropped, counted
                  "3\tneutral\t\n"                            # no text (deleted tweet)
                  "broken line\n", encoding="utf-8")
  table = sources.get("tweets").read(path)
  assert table.frame["text"].tolist() == ["I’m happy 😀", "bus at 9"]
  assert table.frame["label"].tolist() == ["positive", "neutral"]
  assert table.drops == {"malformed CSV row": 1, "empty text": 1, "duplicate tweet id": 1}
  unlabelled = fx.write_semeval_tsv(tmp_path / "test.txt", fx.tweets(6), labeled=False)
  tweets = sources.get("tweets")
  assert tweets.detect_labels(path) and not tweets.detect_labels(unlabelled)
  assert not tweets.read(unlabelled, labeled=False).labeled


def test_tweets_folder_and_csv_agree(tmp_path):
  frame = fx.tweets(30)
  frame.to_csv(tmp_path / "tweets.csv", index=False)
  folder = tmp_path / "pool"
  fx.write_semeval_tsv(folder / "twitter-2016train-A.tsv", frame.iloc[10:])
  fx.write_semeval_tsv(folder / "twitter-2013train-A.tsv", frame.iloc[:12])   # ids 10, 11 in both
  from_csv, from_dir = sources.get("tweets").read(tmp_path / "tweets.csv"), sources.get("tweets").read(folder)
  assert from_dir.drops == {"duplicate tweet id": 2}
  assert from_dir.frame["text"].tolist() == from_csv.frame["text"].tolist()   # 2013 file first
  assert from_dir.frame["label"].tolist() == from_csv.frame["label"].tolist()


def test_missing_file_is_a_clear_error(tmp_path):
  for name in ("imdb", "tweets"):
    with pytest.raises(DataError, match="not found"):
      sources.get(name).detect_labels(tmp_path / "nope.csv")


def test_real_imdb_and_tweets_load(real_data_dir):
  imdb = sources.get("imdb").load(real_data_dir, splits=["train"])
  assert len(imdb) == 25000 and not imdb.drops
  assert imdb.frame["label"].value_counts().to_dict() == {"positive": 12500, "negative": 12500}
  assert not imdb.frame["text"].str.contains("<br", regex=False).any()
  tweets = sources.get("tweets").load(real_data_dir, splits=["train"])
  assert len(tweets) == 49570 and not tweets.drops
  assert tweets.frame["label"].value_counts().to_dict() == {"neutral": 22196, "positive": 19645,
                                                            "negative": 7729}


# --- metrics and selection ------------------------------------------------------------------


def test_binary_precision_recall_f1_match_a_hand_computed_confusion():
  confusion = np.array([[50, 10],     # true negative: 50 right, 10 called positive
                        [5, 35]])     # true positive: 5 missed, 35 found
  s = classification_summary(confusion)
  precision, recall = 35 / 45, 35 / 40
  assert s["precision"] == pytest.approx(precision)
  assert s["recall"] == pytest.approx(recall)
  assert s["f1"] == pytest.approx(2 * precision * recall / (precision + recall))
  assert s["accuracy"] == pytest.approx(85 / 100)
  assert s["macro_recall"] == pytest.approx((50 / 60 + 35 / 40) / 2)     # existing keys unchanged
  assert "f1" not in classification_summary(np.eye(3))                 # multi-class: macro only


def test_f1_selection_means_binary_f1_or_macro_f1():
  assert resolve_select_metric("f1", 2) == "f1"
  assert resolve_select_metric("f1", 3) == "macro_f1"
  assert resolve_select_metric("accuracy", 3) == "accuracy"
  with pytest.raises(ValueError, match="select_metric"):
    resolve_select_metric("loss", 2)
  spec = RunSpec(experiment="e", dataset="imdb", model="attn_lstm", select_metric="f1")
  two = Preprocessor(["negative", "positive"], [], [], [])
  three = Preprocessor(["negative", "neutral", "positive"], [], [], [])
  assert objective_for(spec, two).select_metric == "f1"
  assert objective_for(spec, three).select_metric == "macro_f1"
  assert RunSpec.from_json(spec.to_json()) == spec
  with pytest.raises(DataError, match="select_metric"):
    objective_for(RunSpec(experiment="e", dataset="imdb", model="x", select_metric="bogus"), two)


def test_published_numbers_for_s3():
  imdb = published_metrics("attention_lstm", "imdb", "attn_lstm")
  assert imdb["accuracy"][1] == 0.8648 and round(imdb["f1"][1], 3) == 0.864
  assert published_metrics("attention_lstm", "imdb", "ffnn")["accuracy"][1] == 0.8648
  assert published_metrics("attention_lstm", "imdb", "rnn")["accuracy"][1] == 0.5375
  assert published_metrics("attention_lstm", "tweets", "attn_lstm")["accuracy"][1] == 0.7961
  assert any("88.89" in line for line in published_context("attention_lstm", "imdb"))
  assert any("61.42" in line for line in published_context("attention_lstm", "tweets"))
  assert published_metrics("lyrics_meta", "tcc_ceds", "text") == {"accuracy": (
      "S1 text net, val accuracy, 4 genres", 0.567)}


# --- attention heatmap ----------------------------------------------------------------------


def test_heatmap_has_one_cell_per_token(tmp_path):
  tokens = [f"w{i}" for i in range(27)] + ["UNK"]
  weights = np.random.default_rng(0).dirichlet(np.ones(28))
  grid = attention_heatmap(tokens, weights, tmp_path / "a.png", title="Predicted: positive", columns=12)
  assert (tmp_path / "a.png").stat().st_size > 1000
  assert grid.shape == (3, 12) and np.isfinite(grid).sum() == 28
  np.testing.assert_allclose(grid[np.isfinite(grid)], weights)
  rows, han_grid = token_grid([["a", "b"], ["c"]], [np.array([0.3, 0.7]), np.array([1.0])])
  assert rows == [["a", "b"], ["c"]] and np.isfinite(han_grid).sum() == 3   # one row per line (HAN)
  attention_heatmap(["only"], [1.0], tmp_path / "one.png")                 # constant weights: no error
