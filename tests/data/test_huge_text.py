"""A huge text is kept and truncated, and a length rule set by it fails before filling memory."""

import numpy as np
import pandas as pd
import pytest

from lyric_jax.data import encode
from lyric_jax.data.encode import Preprocessor, TextSpec
from lyric_jax.data.errors import DataError
from lyric_jax.data.sources.lyrics_and_features import TCC_FEATURES, read_tcc_ceds

HUGE_WORDS = 200_000


@pytest.fixture(scope="module")
def table(tmp_path_factory):
  rows = 40
  frame = pd.DataFrame({"artist_name": [f"a{i}" for i in range(rows)], "track_name": "t",
                        "lyrics": ["love and rain tonight"] * rows, "genre": ["pop", "rock"] * (rows // 2),
                        **{f: np.linspace(0, 1, rows) for f in TCC_FEATURES}})
  frame.loc[7, "lyrics"] = "river " * HUGE_WORDS      # ~1.2 MB in one CSV field
  path = tmp_path_factory.mktemp("huge") / "tcc_ceds_music.csv"
  frame.to_csv(path, index=False)
  return read_tcc_ceds(path)


def test_huge_text_is_kept_and_truncated_to_the_cap(table):
  assert len(table) == 40 and not table.drops
  pre = Preprocessor.fit(table, ["pop", "rock"], TextSpec(max_len="p95", min_frequency=1))
  encoded = pre.encode(table)
  assert encoded["tokens"].shape == (40, 4)
  assert encoded["lengths"][7] == 4 and (encoded["tokens"][7] == pre.tokenizer.token_to_id("river")).all()


def test_max_rule_set_by_an_outlier_is_a_clear_error(table, monkeypatch):
  monkeypatch.setattr(encode, "MAX_PADDED_BYTES", 1 << 20)   # 40 × 200,000 ids = 32 MB
  with pytest.raises(DataError, match=r"max_len='max' pads every text to 200,000 tokens.*'p95'"):
    Preprocessor.fit(table, ["pop", "rock"], TextSpec(max_len="max", min_frequency=1))
  with pytest.raises(DataError, match=r"max_lines='max', max_words='max' pads every text to 1 x 200,000"):
    Preprocessor.fit(table, ["pop", "rock"],
                     TextSpec(layout="lines", max_lines="max", max_words="max", min_frequency=1))
