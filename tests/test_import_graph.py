"""lyric_jax's modules import one another without cycles, counting imports inside functions
(the usual way a cycle is hidden)."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def module_imports() -> dict[str, set[str]]:
  """lyric_jax module → the lyric_jax modules it imports anywhere in its file."""
  files = {".".join(f.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__"): f
           for f in (ROOT / "lyric_jax").rglob("*.py")}
  graph = {}
  for name, file in files.items():
    package = name if file.name == "__init__.py" else name.rpartition(".")[0]
    targets = set()
    for node in ast.walk(ast.parse(file.read_text())):
      if isinstance(node, ast.Import):
        targets |= {a.name for a in node.names}
      elif isinstance(node, ast.ImportFrom):
        base = node.module or ""
        if node.level:
          base = ".".join(package.split(".")[:len(package.split(".")) - node.level + 1] + [base]).strip(".")
        targets |= {f"{base}.{a.name}" if f"{base}.{a.name}" in files else base for a in node.names}
    resolved = set()
    for target in targets:
      while target and target not in files:
        target = target.rpartition(".")[0]
      # A package's own __init__ runs before its modules anyway: that edge is no cycle.
      if target and target != name and not name.startswith(target + "."):
        resolved.add(target)
    graph[name] = resolved
  return graph


def cycle_from(graph: dict[str, set[str]], start: str) -> list[str] | None:
  """A path start → … → start, if any (depth-first)."""
  stack, seen = [(start, [start])], set()
  while stack:
    node, path = stack.pop()
    for nxt in graph[node]:
      if nxt == start:
        return path + [start]
      if nxt not in seen:
        seen.add(nxt)
        stack.append((nxt, path + [nxt]))
  return None


def test_no_import_cycles():
  graph = module_imports()
  assert len(graph) > 40 and "lyric_jax.data.sources" in graph["lyric_jax.predict"]
  cycles = [cycle for name in sorted(graph) if (cycle := cycle_from(graph, name))]
  assert not cycles, " ; ".join(" → ".join(c) for c in cycles)
