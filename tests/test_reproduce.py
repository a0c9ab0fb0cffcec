"""experiments.reproduce: study job lists, skipping studies without data, reuse, the results tables."""

import dataclasses
import json
from pathlib import Path

import pytest

from experiments.experiment import job_spec
from experiments.studies import BUDGETS, DATA_DIR, Job, Study, Vectors, all_studies, markdown
from experiments.studies.tasks import Options, plan, reproduce
from lyric_jax.data import sources
from lyric_jax.pretrain.provenance import sidecar_path
from lyric_jax.report import collect
from lyric_jax.run.results import Results
from lyric_jax.run.rundir import CONFIG_FILE, RESULTS_FILE


def fake_data_dir(path: Path) -> Path:
  """A data dir holding (empty) files under every name the studies look for: enough to plan."""
  path.mkdir()
  for study in all_studies().values():
    for job in study.full + study.quick:
      if job.source:
        (path / sources.get(job.source).candidates[0]).touch()
      for flag in job.flags:
        value = flag.partition("=")[2]
        if value.startswith(DATA_DIR):
          target = Path(value.replace(DATA_DIR, str(path)))
          target.parent.mkdir(parents=True, exist_ok=True)
          target.touch()
  return path


@pytest.mark.parametrize("budget", BUDGETS)
def test_dry_run_lists_every_job_and_its_flags_parse(budget, tmp_path, capsys):
  options = Options(budget, 2, fake_data_dir(tmp_path / "data"), tmp_path / "runs")
  studies = list(all_studies().values())
  # Each command's flags are parsed by its experiment and turned into a RunSpec (else exit 1).
  assert reproduce(studies, options, tmp_path / "RESULTS.md", dry_run=True) == 0
  out = capsys.readouterr().out
  assert not (tmp_path / "RESULTS.md").exists() and "skipped" not in out
  for study in studies:
    assert study.jobs(budget), study.key
    for job in study.jobs(budget):
      assert f"{study.key} {job.name} [train{'' if job.vectors is None else ' (word vectors first)'}]" in out
      assert f"--workdir={tmp_path / 'runs' / study.key} --run_name={job.name}" in out.replace(" \\\n    ", " ")
  own = [job for s in studies for job in s.jobs(budget) if any(f.startswith("--num_seeds=") for f in job.flags)]
  assert out.count("--num_seeds=2") == sum(len(s.jobs(budget)) for s in studies) - len(own)
  assert all(f"--run_name={job.name}" in out and "--num_seeds=2" not in job.argv("d", 2, "w") for job in own)


def test_quick_budget_shrinks_the_full_jobs():
  for study in all_studies().values():
    full = {job.name for job in study.full}
    assert {job.name for job in study.quick} <= full, study.key
    assert all("--epochs=" in " ".join(job.flags) for job in study.quick), study.key


def test_a_study_without_its_data_is_skipped_with_one_line(tmp_path, capsys):
  empty = tmp_path / "empty"
  empty.mkdir()
  options = Options("quick", 3, empty, tmp_path / "runs")
  assert reproduce(list(all_studies().values()), options, tmp_path / "R.md", dry_run=True) == 0
  lines = capsys.readouterr().out.splitlines()
  assert len(lines) == 5 and all(" skipped: " in line for line in lines)
  assert (f"S2 skipped: imdb_ratings data (imdb_reviews_50k.csv.gz / aclImdb / imdb_reviews_train25k.csv.gz) "
          f"not found in {empty.resolve()}") in lines
  # Part of a study's data: only the jobs that read the missing file are skipped.
  (empty / "tcc_ceds_music_partial.csv.gz").touch()
  tasks, skipped = plan(all_studies()["S1"], options)
  assert [t.job.name for t in tasks] == ["tcc4-meta"]   # the text nets also need the WordPiece file
  assert skipped.startswith("S1 tcc4-text, tcc4-combined, spotify13-text, spotify13-combined skipped: "
                            "wordpiece_uncased/tokenizer.json not found in")
  assert "S1 spotify13-text, spotify13-meta, spotify13-combined skipped: spotify13 data" in skipped


def test_with_flags_replaces_flags_and_their_negations():
  job = Job("a", "spotify", ("--model=mlp", "--nogrouped_split", "--epochs=20"))
  assert job.with_flags("--epochs=3", "--grouped_split").flags == ("--model=mlp", "--epochs=3", "--grouped_split")
  assert job.with_flags("--merge_genres", name="b").name == "b"


def test_tiny_reproduce_end_to_end_then_reuse(tmp_path, capsys):
  tiny = Job("tiny", "lyrics_meta", ("--model=meta", "--dataset=synthetic", "--num_examples=160", "--epochs=1",
                                     "--batch_size=16", "--progress=false"))
  study = Study(key="S9", title="S9 — a tiny synthetic study", intro="Synthetic songs.", note="Nothing to read.",
                full=(tiny, tiny.with_flags("--no_such_flag", name="broken")), quick=(), quick_changes="")
  options = Options("full", 2, tmp_path / "data", tmp_path / "runs")
  output = tmp_path / "RESULTS.md"
  assert reproduce([study], options, output, "python -m experiments.reproduce ...") == 1   # 'broken' failed
  out = capsys.readouterr().out
  # A job whose flags its experiment refuses: one line naming the job and the flag, before anything runs.
  assert "S9 broken: flags refused: Unknown command line flag 'no_such_flag'" in out
  assert "FAILED: python -m experiments.lyrics_meta" in out
  text = output.read_text()
  assert "## S9 — a tiny synthetic study" in text and "2 seeds per run" in text
  row = next(line for line in text.splitlines() if line.startswith("| tiny |"))
  assert row.count(" ± ") == 2 and "synthetic: 160 rows, 4 classes" in row and "| 1 (1, 1) |" in row
  assert "No results: broken (flags refused" in text and "--run_name=tiny" in text and "Nothing to read." in text

  # What the experiment ran (its config.json) is what the in-process parse of the job's flags gives.
  tasks, _ = plan(study, options)
  stored = json.loads((tmp_path / "runs" / "S9" / "tiny" / CONFIG_FILE).read_text())
  assert stored == job_spec("lyrics_meta", tasks[0].command[2:]).to_json()
  results = tmp_path / "runs" / "S9" / "tiny" / RESULTS_FILE
  written = results.stat().st_mtime_ns
  output.write_text(text.replace("## S9", "## S0 — another study\n\nKept.\n\n## S9"))
  reproduce([study], options, output, "python -m experiments.reproduce --studies=S9", keep_other_studies=True)
  assert "S9 tiny: reuse (finished run dir)" in capsys.readouterr().out
  merged = output.read_text()
  assert results.stat().st_mtime_ns == written and "(1 reused from finished run directories" not in merged
  assert "## S0 — another study\n\nKept." in merged and merged.count("## S9 — a tiny synthetic study") == 1
  assert "Sections S9 rewritten by `python -m experiments.reproduce --studies=S9`" in merged


def test_merging_replaces_only_the_rewritten_studies_and_keeps_their_order():
  old = "# Results\n\nWritten by A.\n\n## S0 — zero\n\nold 0\n\n## S3 — three\n\nold 3\n\n## S4 — four\n\nold 4\n"
  new = "# Results\n\nWritten by B.\n\n## S3 — three\n\nnew 3\n\n## S7 — seven\n\nnew 7\n"
  merged = markdown.merge_studies(old, new, "B")
  assert merged.startswith("# Results\n\nWritten by A.\n\nSections S3, S7 rewritten by `B` on ")
  bodies = [line for line in merged.splitlines() if line.startswith(("old", "new"))]
  assert bodies == ["old 0", "new 3", "old 4", "new 7"] and "Written by B" not in merged
  again = markdown.merge_studies(merged, new, "C")
  assert "rewritten by `B`" not in again and again.count("Sections S3, S7 rewritten by `C`") == 1
  assert "rewritten by `B`" in markdown.merge_studies(merged, new.split("## S7")[0], "C")   # S7's not redone
  with pytest.raises(ValueError, match="no study section"):
    markdown.merge_studies(old, "# Results\n", "B")


def fixture_results(objective: str) -> dict:
  replicas = [{"seed": s, "lr": 1e-3} for s in (0, 1)]
  base = {"objective": objective, "replicas": replicas, "best_epoch": [2, 3], "eval_split": "test",
          "history": [{}] * 3, "train_examples_per_second": 123.4}
  if objective == "classification":
    summary = lambda a: {"accuracy": a, "macro_f1": a - 0.1, "top5_accuracy": 0.9}
    return {**base, "spec": {"experiment": "lyrics_meta", "dataset": "tcc_ceds", "model": "meta",
                             "grouping": "artist", "spec_version": 2},
            "data": {"source": "tcc_ceds", "rows": 381, "labels": list("abcd"),
                     "split_sizes": {"train": 305, "val": 38, "test": 38}},
            "majority_rate": 0.342, "val": [summary(0.5), summary(0.5)], "test": [summary(0.6), summary(0.7)]}
  summary = lambda mae: {"mae": mae, "rmse": mae + 0.05, "neg_mae": -mae}
  # Written before spec version 2 (grouped by the reader's group column): a track-grouped split.
  return {**base, "spec": {"experiment": "review_cnn", "dataset": "imdb_ratings", "model": "cnn"},
          "data": {"source": "imdb_ratings", "rows": 25000, "labels": [],
                   "split_sizes": {"train": 5000, "val": 2500, "test": 2500}},
          "score_range": [0.1, 1.0],   # no "select_metric": written before results recorded it
          "baseline": {"mae_mean": 0.39268, "mae_std": 0.0041, "median_constant": {"mae": 0.326}},
          "val": [summary(0.3), summary(0.3)], "test": [summary(0.28), summary(0.30)]}


def test_tables_from_results_json(tmp_path):
  run_dir = tmp_path / "tcc4-meta"
  run_dir.mkdir()
  (run_dir / RESULTS_FILE).write_text(json.dumps(fixture_results("classification")))
  classes = collect.table([collect.load(run_dir)], metrics=("top5_accuracy",)).splitlines()
  assert classes[0].startswith("| run | data (source: rows, classes, train/val/test) | model | epochs")
  assert "test top-5 %" in classes[0] and classes[1].count("---") == classes[0].count("|") - 1
  assert classes[2] == ("| tcc4-meta | tcc_ceds: 381 rows, 4 classes, 305/38/38 | meta (lr 0.001) | 3 (2, 3) "
                        "| 65.00 ± 5.00 | 55.00 ± 5.00 | 90.00 ± 0.00 | 34.2 "
                        "| 65.3 (S1 metadata MLP, val accuracy, 4 genres) | 123 |")
  scores = collect.table([("cnn", Results.from_json(fixture_results("regression")))]).splitlines()
  assert "random-sampling benchmark MAE" in scores[0]
  assert scores[2] == ("| cnn | imdb_ratings: 25,000 rows, scores 0.10–1.00, 5,000/2,500/2,500 "
                       "| cnn, track-grouped split (lr 0.001) "
                       "| 3 (2, 3) | 0.2900 ± 0.0100 | 0.3400 ± 0.0100 | 0.3927 ± 0.0041 | 0.3260 "
                       "| 0.12 (S2 ConvNet test MAE, Metal-Archives reviews) | 123 |")


def test_study_tables_add_ensemble_rows_and_one_classic_row_per_split():
  runs = []
  for name, acc in (("a", 0.6), ("b", 0.7)):
    results = fixture_results("classification")
    results["ensemble"] = {"replicas": 2, "val": {"accuracy": 0.5}, "test": {"accuracy": acc, "macro_f1": 0.5}}
    results["classic_baseline"] = {"name": "HistGradientBoosting", "params": {"learning_rate": 0.1}, "train_rows": 305,
                                   "fit_seconds": 3.0, "val": {"accuracy": 0.5}, "test": {"accuracy": 0.75}}
    runs.append((name, Results.from_json(results)))
  lines = collect.table(runs).splitlines()
  assert [line.split(" | ")[0] for line in lines[2:]] == ["| a", "| ↳ ensemble", "| ↳ classic baseline (same split: a, b)",
                                                          "| b", "| ↳ ensemble"]
  assert "| ↳ ensemble |  | mean of all 2 replicas' probabilities |  | 60.00 | 50.00 |" in lines[3]
  assert "HistGradientBoosting (learning_rate 0.1; tuned on val; 3 s) |  | 75.00 |  |" in lines[4]
  assert all(line.count("|") == lines[0].count("|") for line in lines)
  scores = fixture_results("regression")
  scores["ensemble"] = {"replicas": 2, "val": {}, "test": {"mae": 0.27, "rmse": 0.3}}
  rows = collect.table([("cnn", Results.from_json(scores))]).splitlines()
  assert rows[3].startswith("| ↳ ensemble |  | mean of all 2 replicas' scores |  | 0.2700 | 0.3000 |")
  assert rows[3].count("|") == rows[0].count("|")


def test_prose_placeholders_are_filled_from_the_runs_results():
  results = fixture_results("classification")
  results["ensemble"] = {"replicas": 2, "val": {"accuracy": 0.5}, "test": {"accuracy": 0.68}}
  results["classic_baseline"] = {"name": "HistGradientBoosting", "params": {}, "train_rows": 305, "fit_seconds": 1.0,
                                 "val": {"accuracy": 0.5}, "test": {"accuracy": 0.7}}
  runs = {"a": Results.from_json(results), "b": None}
  prose = "net {a:accuracy}, ens {a:accuracy@ensemble}, lr {a:accuracy@classic}, gap {a:accuracy@gap}, " \
          "majority {a:majority}, unfinished {b:accuracy}, lr ∈ {1e-3, 3e-3}"
  assert markdown.fill(prose, runs) == ("net 65.0 ± 5.0, ens 68.0, lr 70.0, gap −5.0, majority 34.2, "
                                        "unfinished n/a, lr ∈ {1e-3, 3e-3}")
  scores = {"cnn": Results.from_json(fixture_results("regression"))}
  assert markdown.fill("{cnn:mae} / {cnn:mae@classic}", scores) == "0.290 ± 0.010 / n/a"
  with pytest.raises(KeyError, match="names no job"):
    markdown.fill("{c:accuracy}", runs)


@pytest.mark.parametrize("study", list(all_studies().values()), ids=lambda s: s.key)
def test_every_prose_placeholder_names_a_full_budget_job(study):
  names = {job.name for job in study.full}
  for match in markdown.PLACEHOLDER.finditer(study.intro + study.note):
    assert match["run"] in names, match[0]


# Slow (25 s; the suite's 10 minutes): tests/e2e/test_word_vectors_cli.py covers the vectors a classifier reads.
@pytest.mark.slow
def test_a_job_with_vectors_trains_them_first_then_reads_them(tmp_path, capsys):
  tiny = Job("tiny-vectors", "review_cnn", ("--model=cnn", "--num_examples=120", "--max_len=32", "--epochs=1",
                                            "--batch_size=16", "--embed=8", "--filters=4", "--progress=false"),
             vectors=Vectors(("--dim=8", "--epochs=1", "--batch_size=256"), job_changes=("--epochs=2",)))
  study = Study(key="S9", title="S9 — tiny", intro="", note="", full=(tiny,), quick=(), quick_changes="")
  options = Options("full", 1, tmp_path / "data", tmp_path / "runs")
  vectors = tiny.vectors_file(tmp_path / "runs" / "S9")
  assert reproduce([study], options, tmp_path / "R.md", dry_run=True) == 0
  planned = capsys.readouterr().out.replace(" \\\n    ", " ")
  assert "S9 tiny-vectors [train (word vectors first)]" in planned
  # the vectors' command names the job after '--' (its training split), then the job reads them
  assert (f"python -m experiments.word_vectors --out={vectors} --data_dir={tmp_path / 'data'} --dim=8 --epochs=1 "
          "--batch_size=256 -- review_cnn --model=cnn") in planned
  # the vectors read the texts of the job with its changes (e.g. the whole training split)
  assert "--progress=false --epochs=2\npython -m experiments.review_cnn" in planned
  assert f"--vectors={vectors}" in planned.split("python -m experiments.review_cnn")[1]

  assert reproduce([study], options, tmp_path / "R.md") == 0
  assert vectors.exists() and "train (word vectors first)" in capsys.readouterr().out
  config = json.loads((tmp_path / "runs" / "S9" / "tiny-vectors" / CONFIG_FILE).read_text())
  assert config["embedding"]["vectors"] == str(vectors)
  assert "experiments.word_vectors" in (tmp_path / "R.md").read_text()
  # other vector or text flags name another file (never stale vectors); a file without its sidecar
  # (a kill between the two writes) is trained again
  other_vectors = dataclasses.replace(tiny, vectors=Vectors(("--dim=8", "--epochs=2")))
  assert other_vectors.vectors_file("w") != tiny.vectors_file("w")
  assert tiny.with_flags("--min_freq=2").vectors_file("w") != tiny.vectors_file("w")
  sidecar_path(vectors).unlink()
  tasks, _ = plan(study, options)
  assert tasks[0].vectors_missing() and tasks[0].status() == "resume (word vectors first)"
