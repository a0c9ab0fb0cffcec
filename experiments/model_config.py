"""An experiment's model flags → its run's ``model_kwargs``: the one dict (config.json's) that
reaches the registry constructor unchanged (``lyric_jax.run.build.model_for`` adds only what
the data decides: ``num_classes`` and ``vocab_size``).

An experiment declares, for each model it builds, where each constructor argument comes from,
in the order config.json lists them: ``FLAG`` (the flag of the argument's own name),
``Flag("layers")`` (a flag of another name), ``Flag(if_unset=(80,))`` (a flag without a
default, e.g. a list, whose absence means this model's own value) or a plain value the experiment
fixes (``"lstm"``);
``experiments.common.base_spec`` reads the declaration into the spec.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Mapping

from absl import flags


@dataclasses.dataclass(frozen=True)
class Flag:
  """A constructor argument read from a flag."""
  name: str | None = None     # None: the flag named like the argument
  if_unset: Any = None        # the argument when the flag is unset or an empty list


FLAG = Flag()


def model_kwargs(fv: flags.FlagValues, args: Mapping[str, Any]) -> dict:
  """``args`` (constructor argument → ``Flag`` or a fixed value) with each ``Flag`` read from ``fv``."""
  return {arg: _read(fv, source.name or arg, source.if_unset) if isinstance(source, Flag) else source
          for arg, source in args.items()}


def _read(fv: flags.FlagValues, name: str, if_unset: Any) -> Any:
  value = fv[name].value
  return if_unset if if_unset is not None and value in (None, ()) else value


class _IntListParser(flags.ListParser):
  """A comma-separated list of integers, parsed into a tuple (a model's layer sizes)."""

  def flag_type(self) -> str:
    return "comma separated list of integers"

  def parse(self, argument) -> tuple[int, ...]:
    items = super().parse(argument)
    try:
      return tuple(int(x) for x in items)
    except (TypeError, ValueError):
      raise ValueError(f"wants comma-separated integers, got {argument!r}") from None


def define_ints(name: str, default: list[str] | None, help: str, flag_values: flags.FlagValues) -> None:
  """A list-of-integers flag (``--hidden=100,150``): its value is a tuple of ints, ready for a constructor."""
  flags.DEFINE(_IntListParser(), name, default, help, flag_values=flag_values,
               serializer=flags.CsvListSerializer(","))
