"""Data directory resolution and verified downloads from the public manifest.

Every data set is looked up in the data directory (``--data_dir`` flag, else the
``LYRIC_JAX_DATA`` environment variable, else ``./data``). A missing file is
downloaded from the URL in ``manifest.json`` (sha256-verified) when online;
offline, the error names the file and where to place it.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

from tqdm import tqdm

from lyric_jax.data.errors import DataError

DATA_ENV = "LYRIC_JAX_DATA"
_MANIFEST_PATH = Path(__file__).with_name("manifest.json")


def resolve_data_dir(data_dir: str | os.PathLike | None = None) -> Path:
  """The flag wins over the environment variable, which wins over ./data (made on download).

  A folder named by the flag or the variable must exist: a typo is not a new data dir.
  """
  given = data_dir or os.environ.get(DATA_ENV)
  if given and not Path(given).expanduser().is_dir():
    origin = "--data_dir" if data_dir else f"${DATA_ENV}"
    raise DataError(f"Data dir {given} ({origin}) does not exist: point it at the folder holding the data "
                    "files (create the folder first if files should be downloaded into it).")
  return Path(given or "data").expanduser()


def manifest() -> dict:
  with open(_MANIFEST_PATH) as f:
    return json.load(f)


def sha256_of(path: Path) -> str:
  digest = hashlib.sha256()
  with open(path, "rb") as f:
    for chunk in iter(lambda: f.read(1 << 20), b""):
      digest.update(chunk)
  return digest.hexdigest()


def identity(path: Path) -> dict:
  """What a run read: the path, and each file's size and sha256 (a folder: every file in it)."""
  path = Path(path).resolve()
  files = sorted(f for f in path.rglob("*") if f.is_file()) if path.is_dir() else [path]
  return {"path": str(path), "files": {str(f.relative_to(path) if path.is_dir() else f.name):
                                       {"bytes": f.stat().st_size, "sha256": sha256_of(f)} for f in files}}


def identity_changes(old: dict, new: dict) -> list[str]:
  """How the data differs from what a run was trained on (contents, not where it lies)."""
  if old["files"] == new["files"]:
    return []
  where = old["path"] if old["path"] == new["path"] else f"{old['path']} → {new['path']}"
  changed = sorted(set(old["files"]) ^ set(new["files"]) |
                   {n for n in set(old["files"]) & set(new["files"]) if old["files"][n] != new["files"][n]})
  return [f"{where}: {len(changed)} file(s) differ, e.g. {changed[0]} "
          + (f"({old['files'][changed[0]]['bytes']:,} → {new['files'][changed[0]]['bytes']:,} bytes)"
             if changed[0] in old["files"] and changed[0] in new["files"] else "(added or removed)")]


def find_file(data_dir: Path, candidates: list[str], *, download_key: str | None = None) -> Path:
  """First of ``candidates`` present in ``data_dir``; else download ``download_key``.

  Candidates are tried in order, so a full original file wins over a partial one.
  """
  for name in candidates:
    path = data_dir / name
    if path.exists():
      return path
  if download_key is None:
    raise DataError(
        f"None of {candidates} found in data dir {data_dir.resolve()} "
        f"(set --data_dir or ${DATA_ENV}).")
  return download(download_key, data_dir)


def download(key: str, data_dir: Path) -> Path:
  """Fetches manifest entry ``key`` into ``data_dir`` (verifying sha256 where published).

  Single files land at ``data_dir/key``; archives are unpacked there; a templated
  multi-file set lands in the folder ``data_dir/key/``. Returns that path.
  """
  entries = manifest()
  if key not in entries:
    raise DataError(f"No download entry named {key!r}; known: {sorted(entries)}")
  entry = entries[key]
  target = data_dir / key
  if entry.get("url_template"):
    target.mkdir(parents=True, exist_ok=True)
    for name in entry["names"]:
      url = entry["url_template"].format(name=name)
      _fetch(url, target / Path(url).name, None, key)
    return target
  if not entry.get("url"):
    raise DataError(
        f"{key} is not in {data_dir.resolve()} and has no public download URL "
        f"(see {entry.get('landing_page', 'the data README')}). Obtain it there and place it at "
        f"{target.resolve()} (or point --data_dir / ${DATA_ENV} at the folder holding it).")
  archive = entry.get("archive")
  fetched = _fetch(entry["url"], data_dir / (Path(entry["url"]).name if archive else key),
                   entry.get("sha256"), key)
  if archive == "zip":
    with zipfile.ZipFile(fetched) as z:
      z.extract(entry["member"], data_dir) if entry.get("member") else z.extractall(data_dir)
  elif archive == "tar.gz":
    with tarfile.open(fetched) as t:
      t.extractall(data_dir, filter="data")
  return data_dir / (entry.get("member") or key) if archive != "tar.gz" else data_dir


def _fetch(url: str, target: Path, expected_sha256: str | None, key: str) -> Path:
  """Streams ``url`` to ``target`` with a progress bar; offline → DataError naming the file."""
  try:
    target.parent.mkdir(parents=True, exist_ok=True)
    with urllib.request.urlopen(url, timeout=30) as response, tempfile.NamedTemporaryFile(
        dir=target.parent, delete=False) as tmp:
      total = int(response.headers.get("Content-Length") or 0) or None
      with tqdm(total=total, unit="B", unit_scale=True, desc=f"download {target.name}") as bar:
        for chunk in iter(lambda: response.read(1 << 20), b""):
          tmp.write(chunk)
          bar.update(len(chunk))
  except (urllib.error.URLError, OSError, TimeoutError) as e:
    raise DataError(
        f"{key} is not in the data dir and {url} could not be downloaded ({e}). Without internet, "
        f"download it elsewhere and place it at {target.resolve()} "
        f"(or point --data_dir / ${DATA_ENV} at the folder holding it).") from None
  actual = sha256_of(Path(tmp.name))
  if expected_sha256 and actual != expected_sha256:
    os.unlink(tmp.name)
    raise DataError(f"Checksum mismatch for {url}: expected {expected_sha256}, got {actual}.")
  if not expected_sha256:
    print(f"warning: {url} has no published sha256; the downloaded file's sha256 is {actual}")
  shutil.move(tmp.name, target)
  return target
