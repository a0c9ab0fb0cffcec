"""Fuzzing every registered data source, and predict's input reader, with damaged files.

For each source, hypothesis writes small files in its format (CSV, gzip, TSV, folders
of .txt): valid rows mixed with ragged rows, empty texts, NaN/inf/non-numeric features,
unknown labels, odd Unicode, quoted newlines, and whole-file faults (non-UTF-8 bytes,
truncated or corrupt gzip, an empty or header-only file, a missing, extra or unnamed
column). A reader must then either raise DataError naming the file, or return a Table in which

  * kept rows + sum(drops) = the data rows written (a blank TSV line holds no row; a
    plain file cut mid-row may or may not yield its partial last row),
  * each kept row's ``row`` points at a distinct written row, never at one that had to
    go (too many fields, no text, no label, a non-numeric feature), and its features are
    the numbers written there,
  * texts are non-empty, features finite, labels present (scores in [0, 1], closed
    label sets respected).

Anything else (another exception, a broken invariant) is a bug in the reader.
"""

from __future__ import annotations

import csv
import dataclasses
import gzip
import io
import json
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lyric_jax.data import clean, sources
from lyric_jax.data.sources import imdb, lyrics, lyrics_and_features, spotify, synthetic, tweets
from lyric_jax.data.errors import DataError
from lyric_jax.data.table import LABEL, ROW, TEXT
from lyric_jax.predict import read_input
from lyric_jax.run.rundir import CONFIG_FILE
from lyric_jax.run.spec import RunSpec

FUZZ = settings(max_examples=40, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.fixture(autouse=True, scope="module")
def _langdetect_cache(tmp_path_factory):
  """english_only=True caches language detection; keep that cache out of the home folder."""
  with pytest.MonkeyPatch.context() as mp:
    mp.setenv(clean.CACHE_ENV, str(tmp_path_factory.mktemp("langdetect")))
    yield


# --- values: each column draws a valid value, or (in a damaged row) a bad one -------------------

LYRICS = ["I walked along the river and I thought about the days we had together\n"
          "and the river kept on rolling while the summer turned to autumn",
          "she said the night was cold but we kept on dancing until the morning came\n"
          "[Chorus]\noh we kept on dancing x2\nsee the light, the light of the morning"]
GOOD_TEXTS = st.one_of(
    st.sampled_from(LYRICS),
    st.sampled_from(["line one\nline two\n\nline four", 'say "hi", then go', "tab\there", "r\rand\r\nn",
                     "vt\x0bfs\x1cgs\x1dnel\x85ls\u2028end", "caf\u00e9 na\u00efve \u2019quoted\u2019",
                     "<br /><br />a review", "\\u2019 escaped \\ud83d\\ude00 pair", "\\ud83d lone surrogate",
                     "See Band LiveGet tickets as low as $5 and more words",
                     "words ... ******* This Lyrics is NOT for Commercial use *******\n(1409614)"]),
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=1, max_size=30))
BAD_TEXTS = st.sampled_from(["", "   ", "\x0b", "NA", "nan", "None", "[Chorus]", "x2", "instrumental",
                             "lyrics not found", "\u6b4c\u8a5e only"])
# Few bytes of hypothesis data per value, so that files of many columns and rows fit its budget.
GOOD_NUMBERS = st.sampled_from(["0.5", "-1.25", "7", "0", "1e-07", "-0.0", "12345.678", "3.0000001"])
BAD_NUMBERS = st.sampled_from(["", "nan", "NA", "inf", "-inf", "1e400", "abc", "1,5", "--1"])
BAD_LABELS = st.sampled_from(["", " ", "nan", "unknown_label", "Not Available"])
NAMES = st.sampled_from(["Ann", "Bob", "The Band", "B\u00f6rk"])
IDS = st.sampled_from(["1", "2", "3", "10", "x7"])
BAD_OTHER = st.one_of(st.just(""), st.text(max_size=8))


@dataclasses.dataclass(frozen=True)
class Col:
  """A CSV column; ``role`` says what makes a row unusable: a blank text or label, or a
  feature that is not a finite number."""
  name: str
  valid: st.SearchStrategy[str]
  role: str = ""   # 'text' | 'label' | 'feature' | ''
  bad: st.SearchStrategy[str] = BAD_OTHER


def text(name: str) -> Col:
  return Col(name, GOOD_TEXTS, "text", BAD_TEXTS)


def label(name: str, *valid: str) -> Col:
  return Col(name, st.sampled_from(valid), "label", BAD_LABELS)


def features(names, valid=GOOD_NUMBERS) -> tuple[Col, ...]:
  return tuple(Col(n, valid, "feature", BAD_NUMBERS) for n in names)


@dataclasses.dataclass(frozen=True)
class Layout:
  columns: tuple[Col, ...]
  options: st.SearchStrategy[dict] = st.just({})
  labels: frozenset[str] | None = None    # a closed label set kept rows must respect
  select: tuple[str, ...] = ()            # labels a run may keep (--labels), for predict
  score: bool = False                     # labels are scores in [0, 1]


SPLITS = st.fixed_dictionaries({}, optional={"splits": st.just(["train"])})
SPLIT_COL = Col("split", st.sampled_from(["train", "test"]), bad=st.sampled_from(["", "dev"]))
REVIEW_LAYOUT = Layout(
    (Col("review_title", st.sampled_from(["Crushing - 85%", "a - b - 70%", "Meh - 0%", "Best - 100%"]), "label",
         st.sampled_from(["", "nan", "No score", "Too much - 150%", "50%"])),
     text("review_content"), Col("album_id", IDS), Col("band_name", NAMES), Col("album_name", NAMES)),
    st.fixed_dictionaries({}, optional={"on_bad_title": st.sampled_from(["error", "drop"])}), score=True)

LAYOUTS: dict[str, Layout] = {
    "tcc_ceds": Layout((Col("artist_name", NAMES), Col("track_name", NAMES), text("lyrics"),
                        label("genre", "pop", "rock", "jazz")) + features(lyrics_and_features.TCC_FEATURES),
                       select=("pop", "Rock")),
    "spotify13": Layout((Col("song_id", IDS), text("lyrics"), label("song_genre", "pop", "k-pop"))
                        + features(lyrics_and_features.SPOTIFY13_FEATURES)),
    "metrolyrics": Layout((Col("index", IDS), Col("song", NAMES), Col("year", GOOD_NUMBERS), Col("artist", NAMES),
                           label("genre", "Rock", "Pop", "Hip-Hop", "Not Available"), text("lyrics")),
                          st.fixed_dictionaries({"english_only": st.booleans()}), select=("rock", "Pop")),
    # The label is the genre of a song's tags (``tag`` and ``all_tags``), so no one column must hold it.
    "lastfm17": Layout((Col("tag", st.sampled_from(["rock", "metal", "Hip-Hop", "rap", "80s", "british"])),
                        Col("rank", GOOD_NUMBERS), Col("track", NAMES), Col("artist", NAMES),
                        Col("all_tags", st.sampled_from(["rock", "rock|jazz", "80s|british", "", "Hip-Hop|rap"])),
                        Col("n_tags", GOOD_NUMBERS),
                        Col("suspect", st.just("False"), bad=st.sampled_from(["True", "maybe"])),
                        Col("lyrics", GOOD_TEXTS), text("lyrics_clean")),
                       st.fixed_dictionaries({"english_only": st.booleans(),
                                              "multi_genre": st.sampled_from(lyrics.MULTI_GENRE_RULES)}),
                       labels=frozenset(lyrics.GENRE_ORDER), select=("rock", "rap")),
    "metal_archives": REVIEW_LAYOUT,
    "synthetic_reviews": REVIEW_LAYOUT,
    "imdb_ratings": Layout((text("review"), Col("rating", st.integers(1, 10).map(str), "label", BAD_NUMBERS),
                            SPLIT_COL), score=True),
    "imdb": Layout((text("review"), label("sentiment", "positive", "negative"), SPLIT_COL,
                    Col("review_id", IDS), Col("rating", GOOD_NUMBERS)), SPLITS,
                   labels=frozenset({"positive", "negative"})),
    "tweets": Layout((label("label", "positive", "negative", "neutral", "objective", "Positive"), text("text"),
                      SPLIT_COL, Col("tweet_id", IDS)), SPLITS, labels=frozenset({"positive", "negative", "neutral"}),
                     select=("positive", "neutral")),
    "spotify114": Layout((Col("track_id", IDS), label("track_genre", "acoustic", "k-pop"))
                         + features(spotify.NUMERIC)
                         + features(spotify.BINARY, st.sampled_from(["True", "False", "0", "1"]))
                         + features(spotify.ONE_HOT, st.sampled_from(["-1", "0", "1", "4", "7"])),
                         select=("acoustic",)),
    "synthetic": Layout((text("text"), label("genre", "rock", "pop")) + features(synthetic.FEATURES)),
}


def number(value: str | None) -> float:
  """The number a feature field holds, NaN when none: what a reader may keep."""
  if value is not None and value.strip().lower() in ("true", "false"):
    return float(value.strip().lower() == "true")
  try:
    return float(np.float32(value))
  except (TypeError, ValueError, OverflowError):
    return np.nan


# --- written files ---------------------------------------------------------------------------


@dataclasses.dataclass
class Row:
  """One data row as written: the value of each column it has (None = cut off)."""
  values: dict[str, str | None]
  malformed: bool = False   # a field past the header, or a line with no tab


@dataclasses.dataclass
class Written:
  """What a reader must account for: the data rows of a file (or folder) in reading order."""
  path: Path
  rows: list[Row]
  columns: dict[str, Col]
  partial_last: bool = False   # the file was cut inside its last row
  must_fail: bool = False      # e.g. a truncated gzip: no reader may return a table

  def must_drop(self, row: Row, labeled: bool) -> bool:
    if row.malformed:
      return True
    for name, value in row.values.items():
      role = self.columns[name].role if name in self.columns else ""
      blank = value is None or not value.strip()
      if blank and (role == "text" or role == "label" and labeled):
        return True
      if role == "feature" and not np.isfinite(number(value)):
        return True
    return False


@dataclasses.dataclass(frozen=True)
class CsvFile:
  """A CSV as hypothesis drew it; ``write`` puts it on disk with its file fault."""
  header: list[str]
  rows: list[list[str]]
  fault: str          # one of FILE_FAULTS
  position: float     # where in the bytes the fault strikes, 0..1

  def write(self, path: Path, layout: Layout) -> Written:
    lines = [_csv_line(self.header)] + [_csv_line(r) for r in self.rows]
    data = "".join(lines).encode()
    n = len(self.header)
    # Fields past the header are read positionally; a non-empty one makes the row malformed.
    rows = [Row(dict(zip(self.header, r + [None] * (n - len(r)))), any(f != "" for f in r[n:])) for r in self.rows]
    written = Written(path, rows, {c.name: c for c in layout.columns})
    cut = int(len(data) * self.position)
    if self.fault == "empty":
      data, written.rows = b"", []
    elif self.fault == "header_only":
      data, written.rows = lines[0].encode(), []
    elif self.fault == "bom":
      data = b"\xef\xbb\xbf" + data
    elif self.fault == "non_utf8":
      data = data[:cut] + b"\xff" + data[cut:]
    elif self.fault == "cut":
      ends = np.cumsum([len(line.encode()) for line in lines])   # ends[i + 1]: end of data row i
      complete = int((ends[1:] <= cut).sum())
      written.partial_last = complete < len(rows) and cut > ends[complete]
      written.rows, data = rows[:complete + written.partial_last], data[:cut]
    elif self.fault.startswith("gzip"):
      data = gzip.compress(data, mtime=0)
      body = 10 + int((len(data) - 18) * self.position)   # inside the deflate stream
      if self.fault == "gzip_truncated":
        data, written.must_fail = data[:body], True
      elif self.fault == "gzip_corrupt":
        data = data[:body] + bytes([data[body] ^ 0x5A]) + data[body + 1:]
    path.write_bytes(data)
    return written


def _csv_line(fields: list[str]) -> str:
  out = io.StringIO()
  csv.writer(out).writerow(fields)   # \r\n line ends, so a field holding \r or \n is quoted
  return out.getvalue()


FILE_FAULTS = (["none"] * 10 + ["gzip"] * 3
               + ["gzip_truncated", "gzip_corrupt", "empty", "header_only", "bom", "non_utf8", "cut"])


@st.composite
def csv_files(draw, layout: Layout, faults: tuple[str, ...] = tuple(FILE_FAULTS)) -> CsvFile:
  """Rows of ``layout`` (some short, some long), a column fault and a file fault."""
  columns = list(layout.columns)
  column_fault = draw(st.sampled_from(["none"] * 8 + ["drop", "extra", "shuffle", "index", "nameless_index"]))
  if column_fault == "drop":
    del columns[draw(st.integers(0, len(columns) - 1))]
  elif column_fault == "extra":
    columns.append(Col("extra", GOOD_TEXTS))
  elif column_fault == "shuffle":
    columns = draw(st.permutations(columns))
  rows = []
  for i in range(draw(st.integers(0, 8))):
    damaged = draw(st.lists(st.integers(0, len(columns) - 1), max_size=2)) if draw(st.booleans()) else []
    fields = [draw(c.bad if j in damaged else c.valid) for j, c in enumerate(columns)]
    shape = draw(st.sampled_from(["ok"] * 6 + ["short", "long"]))
    if shape == "short":   # at least two fields, so no row is a blank line
      fields = fields[:draw(st.integers(2, len(fields) - 1))]
    elif shape == "long":
      fields += ["x"] * draw(st.integers(1, 3))
    rows.append([str(i)] + fields if "index" in column_fault else fields)
  header = ([""] if column_fault == "index" else []) + [c.name for c in columns]
  return CsvFile(header, rows, draw(st.sampled_from(faults)), draw(st.floats(0, 1, exclude_max=True)))


# --- folder and TSV layouts --------------------------------------------------------------------

ACL_NAMES = st.one_of(st.builds("{}_{}.txt".format, st.integers(0, 30), st.integers(1, 10)),
                      st.sampled_from(["notes.txt", "12_x.txt", "7_0.txt", "8_11.txt"]))
ACL_CONTENT = st.one_of(GOOD_TEXTS.map(str.encode), BAD_TEXTS.map(str.encode),
                        st.sampled_from([b"caf\xe9 in latin-1", b"\xff\xfe"]))
ACL_FOLDERS = ("test/neg", "test/pos", "train/neg", "train/pos", "train/unsup", ".")


@dataclasses.dataclass(frozen=True)
class AclImdbFolder:
  """aclImdb/{train,test}/{pos,neg,unsup}/<id>_<rating>.txt, with odd names and contents."""
  files: dict[tuple[str, str], bytes]   # (folder, file name) → bytes
  nested: bool                           # under an aclImdb/ child, as the archive unpacks

  def write(self, path: Path, layout: Layout) -> Written:
    root = path / "aclImdb" if self.nested else path
    for (folder, name), data in self.files.items():
      (root / folder).mkdir(parents=True, exist_ok=True)
      (root / folder / name).write_bytes(data)
    # Review folders are read when there are any (unsup/ never: no labels), else the top
    # folder's .txt files; in reading order: split, label, id (names without an id last).
    labelled = any(folder in ACL_FOLDERS[:4] for folder, _ in self.files)
    wanted = ACL_FOLDERS[:4] if labelled else (".",)
    read = sorted((folder, match is None, int(match.group(1)) if match else 0, name)
                  for folder, name in self.files if folder in wanted
                  for match in [imdb._IMDB_FILE.match(name)])
    rows = []
    for folder, _, _, name in read:
      match = imdb._IMDB_FILE.match(name)
      text = self.files[folder, name].decode("utf-8", "replace")
      rows.append(Row({"review": text, "sentiment": {"neg": "negative", "pos": "positive"}.get(Path(folder).name),
                       "rating": match.group(2) if match else None}))
    path.mkdir(exist_ok=True)
    return Written(path, rows, {c.name: c for c in layout.columns})


@st.composite
def acl_imdb_folders(draw) -> AclImdbFolder:
  files = draw(st.dictionaries(st.tuples(st.sampled_from(ACL_FOLDERS), ACL_NAMES), ACL_CONTENT, max_size=8))
  return AclImdbFolder(files, draw(st.booleans()))


TSV_TEXTS = st.one_of(GOOD_TEXTS, BAD_TEXTS).map(lambda t: t.replace("\n", " ").replace("\r", " "))
TWEET_LABELS = st.one_of(LAYOUTS["tweets"].columns[0].valid, BAD_LABELS, st.just("UNKNOWN"))
TSV_LINES = st.one_of(st.builds("{}\t{}\t{}".format, IDS, TWEET_LABELS, TSV_TEXTS),
                      st.builds("{}\t{}".format, IDS, TSV_TEXTS),   # unlabelled: id, text
                      TSV_TEXTS,                                     # one field: malformed
                      st.just(""))
TWEET_FILES = ("twitter-2013train-A.tsv", "twitter-2016test-A.tsv", "SemEval2017-task4-test.subtask-A.english.txt",
               "extra.txt")


@dataclasses.dataclass(frozen=True)
class TweetFiles:
  """SemEval tab-separated files (``id<TAB>label<TAB>text``), one file or a folder, maybe with a CSV."""
  tsv: dict[str, list[str]]        # file name → lines
  csv: CsvFile | None              # a seed-layout CSV in the folder
  folder: bool

  def write(self, path: Path, layout: Layout) -> Written:
    columns = {c.name: c for c in layout.columns}
    if not self.folder:
      name, lines = next(iter(self.tsv.items()))
      path = path.with_name(name)
    else:
      path.mkdir()
    parts = {}
    for name, lines in self.tsv.items():
      file = path / name if self.folder else path
      file.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
      parts[file] = [_tsv_row(line) for line in lines if line.strip()]
    if self.folder and self.csv is not None:
      file = path / "zz_tweets.csv"
      parts[file] = self.csv.write(file, layout).rows
    files = sorted(parts, key=tweets._pool_rank)
    return Written(path, [row for f in files for row in parts[f]], columns)


def _tsv_row(line: str) -> Row:
  fields = line.split("\t")
  if len(fields) == 1:
    return Row({"text": fields[0]}, malformed=True)
  if len(fields) == 2:
    return Row({"tweet_id": fields[0], "label": None, "text": fields[1]})
  return Row({"tweet_id": fields[0], "label": fields[1], "text": "\t".join(fields[2:])})


@st.composite
def tweet_files(draw) -> TweetFiles:
  folder = draw(st.booleans())
  names = draw(st.lists(st.sampled_from(TWEET_FILES), min_size=1, max_size=3 if folder else 1, unique=True))
  tsv = {name: draw(st.lists(TSV_LINES, max_size=6)) for name in names}
  extra = draw(st.none() | csv_files(LAYOUTS["tweets"], faults=("none",))) if folder else None
  return TweetFiles(tsv, extra, folder)


@dataclasses.dataclass(frozen=True)
class CsvFolder:
  """The original per-genre layout of spotify13: <genre>_lyrics.csv files."""
  files: dict[str, CsvFile]

  def write(self, path: Path, layout: Layout) -> Written:
    path.mkdir()
    parts = [self.files[name].write(path / name, layout) for name in sorted(self.files)]
    return Written(path, [row for part in parts for row in part.rows], parts[0].columns if parts else {})


FOLDER_FAULTS = ("none", "none", "empty", "header_only", "bom", "non_utf8")
CSV_FOLDERS = st.dictionaries(st.sampled_from(["pop_lyrics.csv", "k-pop_lyrics.csv", "rock_lyrics.csv"]),
                              csv_files(LAYOUTS["spotify13"], FOLDER_FAULTS), max_size=3).map(CsvFolder)


# --- the invariant -------------------------------------------------------------------------------


def check(layout: Layout, written: Written, read, selected: tuple[str, ...] = ()) -> None:
  """``read()`` returns a Table that accounts for ``written`` (keeping only ``selected`` labels,
  if any), or raises DataError naming it."""
  try:
    table = read()
  except DataError as e:
    assert written.path.name in str(e), f"the error does not name {written.path.name}: {e}"
    return
  assert not written.must_fail, f"read a damaged file without an error: {table.report()}"
  n, frame = len(written.rows), table.frame
  accounted = len(table) + sum(table.drops.values())
  assert n - written.partial_last <= accounted <= n, f"{n} rows written, {table.report()}"
  assert all(isinstance(v, int) and v > 0 for v in table.drops.values()), table.drops
  rows = frame[ROW].to_numpy()
  assert len(set(rows)) == len(rows) and ((0 <= rows) & (rows < n)).all(), rows
  for i, r in enumerate(rows):
    if written.partial_last and r == n - 1:
      continue
    row = written.rows[r]
    assert not written.must_drop(row, table.labeled), f"kept row {r}, which had to go: {row}"
    for name in table.feature_names:
      if name in row.values:
        assert np.isclose(frame[name].iloc[i], number(row.values[name])), (r, name, row.values[name])
  if TEXT in frame:
    assert frame[TEXT].map(lambda t: isinstance(t, str) and t.strip() != "").all()
  assert np.isfinite(frame[list(table.feature_names)].to_numpy(np.float64)).all()
  if table.labeled:
    labels = frame[LABEL]
    assert labels.notna().all()
    if layout.score:
      assert ((labels >= 0) & (labels <= 1)).all()
    else:
      assert (labels.astype(str).str.strip() != "").all()
    if layout.labels is not None:
      assert set(labels) <= layout.labels, set(labels) - layout.labels
    if selected:
      assert set(labels.str.lower()) <= {s.lower() for s in selected}, (set(labels), selected)


def check_source_and_predict(name: str, make, labeled: bool, options: dict, selected=()) -> None:
  """The source's reader, then predict's (labels detected, run's options and labels), on the same file."""
  layout = LAYOUTS[name]
  source = sources.SOURCES[name]
  with tempfile.TemporaryDirectory() as tmp:
    written = make(Path(tmp))
    check(layout, written, lambda: source.read_file(written.path, labeled=labeled, options=options))
    run_dir = run_config(Path(tmp), name, options, selected)
    check(layout, written, lambda: read_input(run_dir, str(written.path), None), tuple(selected))


def run_config(tmp: Path, name: str, options: dict, labels=()) -> Path:
  """A run dir holding only what predict's reader needs: config.json."""
  run_dir = tmp / "run"
  run_dir.mkdir()
  spec = RunSpec(experiment="fuzz", dataset=name, model="", dataset_options=options, labels=tuple(labels))
  (run_dir / CONFIG_FILE).write_text(json.dumps(spec.to_json()))
  return run_dir


# --- tests ------------------------------------------------------------------------------------


def test_every_registered_source_is_fuzzed():
  assert set(LAYOUTS) == set(sources.SOURCES)


@pytest.mark.parametrize("name", sorted(LAYOUTS))
def test_csv_layout(name):
  layout = LAYOUTS[name]

  @FUZZ
  @given(file=csv_files(layout), labeled=st.booleans(), options=layout.options,
         selected=st.lists(st.sampled_from(layout.select), unique=True) if layout.select else st.just([]))
  def fuzz(file, labeled, options, selected):
    suffix = ".csv.gz" if file.fault.startswith("gzip") else ".csv"
    check_source_and_predict(name, lambda tmp: file.write(tmp / f"fuzz_{name}{suffix}", layout), labeled, options,
                             selected)

  fuzz()


@pytest.mark.parametrize("name", ["imdb", "imdb_ratings"])
def test_aclimdb_folder(name):
  layout = LAYOUTS[name]

  @FUZZ
  @given(folder=acl_imdb_folders(), labeled=st.booleans(), options=layout.options)
  def fuzz(folder, labeled, options):
    check_source_and_predict(name, lambda tmp: folder.write(tmp / "fuzz_acl", layout), labeled, options)

  fuzz()


@FUZZ
@given(files=tweet_files(), labeled=st.booleans(), options=LAYOUTS["tweets"].options)
def test_tweets_tsv_file_or_folder(files, labeled, options):
  layout = LAYOUTS["tweets"]
  check_source_and_predict("tweets", lambda tmp: files.write(tmp / "fuzz_tweets", layout), labeled, options)


@FUZZ
@given(folder=CSV_FOLDERS, labeled=st.booleans())
def test_spotify13_genre_folder(folder, labeled):
  layout = LAYOUTS["spotify13"]
  check_source_and_predict("spotify13", lambda tmp: folder.write(tmp / "fuzz_genres", layout), labeled, {})


def test_predict_reads_a_file_without_some_of_the_runs_labels(tmp_path):
  frame = synthetic.synthetic_frame(30, num_classes=2)            # rock and pop songs only
  frame.to_csv(tmp_path / "songs.csv", index=False)
  table = read_input(run_config(tmp_path, "synthetic", {}, ("rock", "jazz")), str(tmp_path / "songs.csv"), None)
  assert set(table.frame[LABEL]) == {"rock"}
  assert table.drops == {"label not selected": int((frame["genre"] == "pop").sum())}


def test_an_unknown_reader_option_is_a_clear_error(tmp_path):
  with pytest.raises(DataError, match=r"'lastfm17' has no option\(s\) \['english'\].*'multi_genre'"):
    sources.SOURCES["lastfm17"].read_file(tmp_path / "songs.csv", labeled=True, options={"english": False})
