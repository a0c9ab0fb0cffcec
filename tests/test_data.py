"""Data layer: sources, bad input, tokenizers, encoding, splits, batches, downloads."""

import gzip
import json

import numpy as np
import pandas as pd
import pytest

from lyric_jax.data import download, sources
from lyric_jax.data.batches import epoch_order, iterate_batches
from lyric_jax.data.encode import Preprocessor, TextSpec
from lyric_jax.data.errors import DataError
from lyric_jax.data.splits import stratified_group_split
from lyric_jax.data.sources.lyrics_and_features import TCC_FEATURES, read_tcc_ceds
from lyric_jax.data.sources.synthetic import synthetic_frame
from lyric_jax.data.table import select_labels
from lyric_jax.data.tokenize import encode_chars, encode_flat, load_tokenizer, text_bytes, train_tokenizer

TCC_COLUMNS = ["artist_name", "track_name", "release_date", "genre", "lyrics", "len"] + TCC_FEATURES


def tcc_fixture(path, rows):
  """A tcc_ceds_music.csv in the original public layout (unnamed index column first)."""
  frame = pd.DataFrame([{**{f: 0.5 for f in TCC_FEATURES}, "artist_name": f"a{i}",
                         "track_name": f"t{i}", "release_date": 1990, "len": 3, **row}
                        for i, row in enumerate(rows)], columns=TCC_COLUMNS)
  frame.to_csv(path)
  return path


def test_tcc_reader_maps_columns_and_counts_every_drop(tmp_path):
  path = tcc_fixture(tmp_path / "tcc_ceds_music.csv", [
      {"genre": "rock", "lyrics": "hold time feel"},
      {"genre": "jazz", "lyrics": ""},                           # empty text
      {"genre": "pop", "lyrics": None},                          # NaN text
      {"genre": "rock", "lyrics": "ok words", "violence": None},  # NaN feature
      {"genre": None, "lyrics": "no label"},                     # missing label
      {"genre": "blues", "lyrics": "fine"},
  ])
  table = read_tcc_ceds(path)
  assert list(table.frame["label"]) == ["rock", "blues"]
  assert table.frame["text"][0] == "hold time feel"
  assert table.feature_names == tuple(TCC_FEATURES) and len(table.feature_names) == 22
  assert table.drops == {"empty text": 2, "missing label": 1, "NaN or non-numeric feature": 1}
  assert len(table) + sum(table.drops.values()) == 6          # nothing lost silently
  assert "dropped 2 rows: empty text" in table.report()


def test_missing_file_and_missing_columns_are_clear_errors(tmp_path):
  with pytest.raises(DataError, match="not found"):
    read_tcc_ceds(tmp_path / "nope.csv")
  pd.DataFrame({"lyrics": ["x"], "genre": ["rock"]}).to_csv(tmp_path / "bad.csv")
  with pytest.raises(DataError, match=r"lacks required column\(s\).*artist_name"):
    read_tcc_ceds(tmp_path / "bad.csv")
  with pytest.raises(DataError, match="None of"):
    sources.get("tcc_ceds").load(tmp_path / "empty_dir_that_has_no_files") if False else \
        download.find_file(tmp_path, ["tcc_ceds_music.csv"])


def test_malformed_rows_are_counted(tmp_path):
  path = tmp_path / "syn.csv"
  header = "text,genre," + ",".join(f"feature_{i}" for i in range(8))
  good = "la la,rock," + ",".join(["0.5"] * 8)
  bad = good + ",extra,fields"                      # too many fields
  path.write_text("\n".join([header, good, bad, good, bad]) + "\n")
  table = sources.get("synthetic").read(path)
  assert table.drops.get("malformed CSV row") == 2
  assert len(table) == 2


def test_non_utf8_file_is_a_clear_error(tmp_path):
  path = tmp_path / "latin.csv"
  path.write_bytes("text,genre\n caf\xe9 ,rock\n".encode("latin-1"))
  with pytest.raises(DataError, match="not UTF-8"):
    sources.get("synthetic").read(path)


def test_unknown_genre_names_are_rejected_and_unselected_rows_counted():
  table = sources.get("synthetic").load(num_examples=40, num_classes=4)
  with pytest.raises(DataError, match=r"Unknown label\(s\) \['disco'\]"):
    select_labels(table, ["rock", "disco"])
  kept = select_labels(table, ["ROCK", "pop"])
  assert set(kept.frame["label"]) == {"rock", "pop"}
  assert kept.drops["label not selected"] == len(table) - len(kept)


def test_unknown_dataset_name():
  with pytest.raises(DataError, match="Unknown dataset"):
    sources.get("metrolyrics_typo")


def test_synthetic_is_deterministic_with_lines_and_features():
  a, b = synthetic_frame(30, 3, seed=5), synthetic_frame(30, 3, seed=5)
  pd.testing.assert_frame_equal(a, b)
  assert a["text"].str.contains("\n").all()
  assert set(a["genre"]) == {"rock", "pop", "jazz"}


def test_trained_tokenizer_reserves_pad_zero_and_sees_train_only():
  tokenizer = train_tokenizer(["Hello world hello", "world again"], min_frequency=1)
  assert tokenizer.token_to_id("[PAD]") == 0 and tokenizer.token_to_id("[UNK]") == 1
  assert tokenizer.token_to_id("hello") is not None
  tokens, lengths = encode_flat(tokenizer, ["hello unseenword", "", "world " * 10], max_len=4)
  assert tokens.dtype == np.int32 and tokens.shape == (3, 4)
  assert lengths.tolist() == [2, 0, 4]
  assert tokens[0, 1] == tokenizer.token_to_id("[UNK]") and tokens[0, 2:].tolist() == [0, 0]


def test_chars_are_lowercased_bytes_with_whitespace_runs_as_one_space():
  chars, lengths = encode_chars(["Ab  c\n\nD", "", "é" * 5], max_chars=6)
  assert chars.dtype == np.int32 and chars.shape == (3, 6) and lengths.tolist() == [6, 0, 6]
  assert bytes(chars[0].tolist()) == b"ab c d" and chars[1].tolist() == [0] * 6
  assert bytes(chars[2].tolist()) == "ééé".encode()              # UTF-8: two bytes each, cut at 6
  table = sources.get("synthetic").load(num_examples=40)
  pre = Preprocessor.fit(table, sorted(table.frame["label"].unique()), TextSpec(max_chars="max"))
  longest = max(len(text_bytes(t)) for t in table.frame["text"])
  encoded = pre.encode(table)
  assert pre.max_chars == longest and encoded["chars"].shape == (40, longest)
  assert encoded["char_lengths"].max() == longest
  assert "chars" not in Preprocessor.fit(table, sorted(table.frame["label"].unique()), TextSpec()).encode(table)


def test_preprocessor_is_fitted_on_train_only(tmp_path):
  table = sources.get("synthetic").load(num_examples=60)
  train = table.drop_rows(np.arange(len(table)) >= 30, "held out")
  held = table.drop_rows(np.arange(len(table)) < 30, "train")
  held.frame.loc[0, "text"] = "zzzonlyinheldout"
  pre = Preprocessor.fit(train, sorted(table.frame["label"].unique()), TextSpec(max_len="mean", min_frequency=1))
  assert pre.tokenizer.token_to_id("zzzonlyinheldout") is None
  features = train.frame[list(train.feature_names)].to_numpy()
  np.testing.assert_allclose(pre.feature_mean, features.mean(0), rtol=1e-5)
  counts = [len(pre.tokenizer.encode(t, add_special_tokens=False).ids) for t in train.frame["text"]]
  assert pre.max_len == int(np.ceil(np.mean(counts)))
  encoded = pre.encode(held)
  assert encoded["tokens"][0, 0] == pre.tokenizer.token_to_id("[UNK]")
  pre.save(tmp_path)
  again = Preprocessor.load(tmp_path)
  np.testing.assert_array_equal(again.encode(held)["tokens"], encoded["tokens"])
  with pytest.raises(DataError, match="Unknown label"):
    pre.label_ids(["rock", "polka"])


def test_bert_wordpiece_tokenizer_loads(real_data_dir):
  tokenizer = load_tokenizer(real_data_dir / "wordpiece_uncased" / "tokenizer.json")
  assert tokenizer.get_vocab_size() == 30522
  tokens, lengths = encode_flat(tokenizer, ["Hello, WORLD!"], 8)
  assert lengths[0] == 4 and tokens[0, 0] == tokenizer.token_to_id("hello")


def test_split_is_stratified_grouped_and_seeded():
  labels = np.array(["a"] * 60 + ["b"] * 40)
  groups = np.repeat(np.arange(50), 2)            # pairs of rows share a group (same label)
  split = stratified_group_split(labels, groups, (0.8, 0.1, 0.1), seed=3)
  assert sorted(np.concatenate(list(split.values())).tolist()) == list(range(100))
  owners = {g: {name for name, idx in split.items() if g in set(groups[idx])} for g in range(50)}
  assert all(len(o) == 1 for o in owners.values())
  assert abs((labels[split["train"]] == "a").mean() - 0.6) < 0.05
  again = stratified_group_split(labels, groups, (0.8, 0.1, 0.1), seed=3)
  assert all(np.array_equal(split[k], again[k]) for k in split)
  with pytest.raises(DataError, match="fractions"):
    stratified_group_split(labels, groups, (0.5, 0.1, 0.1))


def test_batches_have_fixed_shape_and_zero_weight_padding():
  arrays = {"x": np.arange(10, dtype=np.float32)[:, None], "label": np.arange(10, dtype=np.int32)}
  batches = list(iterate_batches(arrays, 4, order=epoch_order(10, 0, 0)))
  assert [b["x"].shape for b in batches] == [(4, 1)] * 3
  assert batches[-1]["weight"].tolist() == [1, 1, 0, 0]
  seen = np.concatenate([b["label"][b["weight"] > 0] for b in batches])
  assert sorted(seen.tolist()) == list(range(10))
  assert not np.array_equal(epoch_order(10, 0, 0), epoch_order(10, 0, 1))


def test_offline_download_names_the_file_to_place(tmp_path, monkeypatch):
  def offline(*args, **kwargs):
    raise OSError("network unreachable")
  monkeypatch.setattr(download.urllib.request, "urlopen", offline)
  with pytest.raises(DataError, match=r"place it at .*tcc_ceds_music\.csv"):
    sources.get("tcc_ceds").load(tmp_path)


def test_download_verifies_sha256(tmp_path, monkeypatch):
  payload = gzip.compress(b"hello")

  class Response:
    headers = {"Content-Length": str(len(payload))}
    def __init__(self): self.data = [payload, b""]
    def read(self, n): return self.data.pop(0)
    def __enter__(self): return self
    def __exit__(self, *a): return False

  monkeypatch.setattr(download.urllib.request, "urlopen", lambda *a, **k: Response())
  monkeypatch.setattr(download, "manifest", lambda: {"f.gz": {"url": "https://example.org/f.gz", "sha256": "0" * 64}})
  with pytest.raises(DataError, match="Checksum mismatch"):
    download.download("f.gz", tmp_path)
  assert not (tmp_path / "f.gz").exists()


def test_manifest_entries_are_well_formed():
  for key, entry in download.manifest().items():
    assert entry.get("url") or entry.get("url_template") or entry.get("landing_page"), key
    assert entry.get("sha256") is None or len(entry["sha256"]) == 64, key
  assert json.dumps(download.manifest())


def test_real_tcc_partial_and_spotify13_load(real_data_dir):
  tcc = sources.get("tcc_ceds").load(real_data_dir)
  assert len(tcc) + sum(tcc.drops.values()) == 1483
  assert set(tcc.frame["label"]) >= {"hip hop", "jazz", "reggae", "rock"}
  spotify = sources.get("spotify13").load(real_data_dir)
  assert len(spotify) + sum(spotify.drops.values()) == 11200
  assert not spotify.frame["text"].str.contains("NOT for Commercial use").any()
  assert spotify.drops["empty text"] >= 875      # NaN lyrics, and excerpts that were only the banner
  assert spotify.drops["'lyrics not found' placeholder"] == 1076
