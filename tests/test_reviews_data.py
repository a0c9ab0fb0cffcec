"""Review-score data: title → score parsing, the Metal-Archives and IMDB readers, the
Keras-filter tokenizer, and the GloVe text-format loader."""

import gzip

import numpy as np
import pandas as pd
import pytest

from lyric_jax.data import glove, sources
from lyric_jax.data.sources import imdb, reviews
from lyric_jax.data.errors import DataError
from lyric_jax.data.tokenize import PAD, UNK, encode_flat, train_tokenizer


@pytest.mark.parametrize("title, score", [
    ("Crushing riffs - 85%", 0.85),
    ("Nothing - 0%", 0.0),
    ("Perfection - 100%", 1.0),
    ("Part 1 - Part 2 - 7%", 0.07),                     # greedy: the last ' - N%'
    ("Hyphen-ated-title - 64% ", 0.64),
])
def test_title_scores_parse(title, score):
  assert reviews.parse_title_score(title) == pytest.approx(score)


@pytest.mark.parametrize("title", ["No score at all", "Ends with 85%", "Missing space -85%", "Too much - 101%",
                                   "Decimal - 8.5%"])
def test_titles_without_a_percentage_give_none(title):
  assert reviews.parse_title_score(title) is None


def ma_file(tmp_path, titles, contents=None, name="reviews.csv"):
  contents = contents or [f"Review text number {i}, quite long." for i in range(len(titles))]
  path = tmp_path / name
  pd.DataFrame({"band_name": "b", "album_name": [f"a{i // 2}" for i in range(len(titles))],
                "review_title": titles, "review_content": contents}).to_csv(path, index=False)
  return path


def test_metal_archives_reader_scores_drops_and_names_bad_rows(tmp_path):
  path = ma_file(tmp_path, ["Great - 90%", None, "Poor - 20%", "Meh - 55%"],
                 ["good text", "untitled text", "", "fine text"])
  table = reviews.read_metal_archives(path)
  assert table.frame["label"].tolist() == [0.9, 0.55]
  assert table.frame["text"].tolist() == ["good text", "fine text"]
  assert table.drops == {"empty text": 1, "missing review title": 1}
  assert table.frame["group"].tolist() == ["b|a0", "b|a1"]       # reviews of one album stay together
  bad = ma_file(tmp_path, ["Great - 90%", "No score", "Ok - 50%", "Also none"], name="bad.csv")
  with pytest.raises(DataError, match=r"2 review title\(s\).*row 1 .*'No score'.*row 3 .*'Also none'"):
    reviews.read_metal_archives(bad)
  dropped = reviews.read_metal_archives(bad, on_bad_title="drop")
  assert len(dropped) == 2 and dropped.drops == {"title without a score percentage": 2}
  unlabelled = reviews.read_metal_archives(bad, labeled=False)    # titles are not read at all
  assert len(unlabelled) == 4 and not unlabelled.labeled


def test_metal_archives_source_finds_its_file(tmp_path):
  ma_file(tmp_path, ["A - 10%", "B - 20%"], name="reviews.csv")
  table = sources.get("metal_archives").load(tmp_path)
  assert table.frame["label"].tolist() == [0.1, 0.2]
  (tmp_path / "empty").mkdir()
  with pytest.raises(DataError, match="no public download URL"):
    sources.get("metal_archives").load(tmp_path / "empty")


def test_generated_reviews_check_their_options_and_files_are_read_without_them(tmp_path):
  source = sources.get("synthetic_reviews")
  with pytest.raises(DataError, match=r"no option\(s\) \['foo'\]"):
    source.load(foo=1)
  reviews.synthetic_reviews_frame(10).to_csv(tmp_path / "r.csv", index=False)   # predict on such a run's file
  assert len(source.read_file(tmp_path / "r.csv", labeled=True, options={"num_examples": 400, "seed": 0})) == 10


def test_imdb_ratings_from_csv_and_aclimdb_folder(tmp_path):
  csv = tmp_path / "imdb.csv.gz"
  pd.DataFrame({"review": ["Great<br /><br />film", "Awful", "x", None], "sentiment": ["positive", "negative"] * 2,
                "rating": [10, 1, 0, 8]}).to_csv(csv, index=False)
  table = imdb.read_imdb_ratings(csv)
  assert table.frame["label"].tolist() == [1.0, 0.1]
  assert table.frame["text"][0] == "Great  film"
  assert table.drops == {"empty text": 1, "rating outside 1-10": 1}
  root = tmp_path / "data" / "aclImdb"
  for split, polarity, name, text in [("train", "pos", "3_9.txt", "Loved it"), ("test", "neg", "7_2.txt", "Hated it"),
                                      ("train", "unsup", "5_0.txt", "no rating")]:
    (root / split / polarity).mkdir(parents=True, exist_ok=True)
    (root / split / polarity / name).write_text(text)
  folder = imdb.read_imdb_ratings(tmp_path / "data")
  assert sorted(zip(folder.frame["text"], folder.frame["label"])) == [("Hated it", 0.2), ("Loved it", 0.9)]


def test_keras_filter_tokenizer_lowercases_strips_filters_and_post_pads():
  tokenizer = train_tokenizer(["Don't STOP-me now!!", "stop (now)"], "keras", min_frequency=1)
  vocab = tokenizer.get_vocab()
  assert vocab[PAD] == 0 and vocab[UNK] == 1
  assert set(vocab) == {PAD, UNK, "don", "t", "stop", "me", "now"}
  tokens, lengths = encode_flat(tokenizer, ["STOP... now, unknown", ""], max_len=5)
  ids = [vocab["stop"], vocab["now"], vocab[UNK]]
  assert tokens[0].tolist() == ids + [0, 0] and lengths.tolist() == [3, 0]       # post-padding


def test_glove_loader_counts_hits_and_misses(tmp_path):
  path = tmp_path / "vectors.txt"
  path.write_text("the 0.1 0.2 0.3\nmetal 1 2 3\nriff -1 -2 -3.5\nmetal 9 9 9\nunused 5 5 5\n")
  vocab = {PAD: 0, UNK: 1, "metal": 2, "the": 3, "zzz": 4, "riff": 5}
  matrix, coverage = glove.embedding_matrix(path, vocab)
  assert matrix.shape == (6, 3) and matrix.dtype == np.float32
  np.testing.assert_allclose(matrix[2], [1, 2, 3])             # first occurrence wins
  np.testing.assert_allclose(matrix[5], [-1, -2, -3.5])
  assert not matrix[[0, 1, 4]].any()                           # PAD, UNK and misses are zeros
  assert coverage == {"file": str(path), "dim": 3, "vocab_words": 4, "hits": 3, "misses": 1}
  gz = tmp_path / "vectors.txt.gz"
  gz.write_bytes(gzip.compress(path.read_bytes()))
  np.testing.assert_array_equal(glove.embedding_matrix(gz, vocab)[0], matrix)
  assert glove.find_vectors("vectors.txt", tmp_path) == path
  broken = tmp_path / "broken.txt"
  broken.write_text("the 0.1 0.2 0.3\nmetal 1 2\n")
  with pytest.raises(DataError, match=r"broken.txt:2: expected a word and 3 numbers"):
    glove.embedding_matrix(broken, vocab)
  with pytest.raises(DataError, match="not found"):
    glove.find_vectors("my_vectors.txt", tmp_path)


def test_real_imdb_ratings_load(real_data_dir):
  table = sources.get("imdb_ratings").load(real_data_dir)
  assert len(table) + sum(table.drops.values()) == 25000
  assert sorted(table.frame["label"].unique()) == [0.1, 0.2, 0.3, 0.4, 0.7, 0.8, 0.9, 1.0]
  assert not table.frame["text"].str.contains("<br", regex=False).any()
