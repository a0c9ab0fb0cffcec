"""Ctrl-C during training stops the run between two steps, never inside Orbax or XLA.

Python raises ``KeyboardInterrupt`` wherever the signal lands: inside a finaliser or a
library's catch-all it is swallowed (the run trains on as if nothing happened), and inside
a checkpoint save it cuts the save in half. While ``deferred_interrupts`` is active the
first Ctrl-C is only recorded; the loop raises it at the next step boundary with
``raise_if_pending``. A second Ctrl-C raises at once, for a run stuck in one long call.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from typing import Iterator


class Interrupts:

  def __init__(self):
    self.pending = False

  def handle(self, signum, frame) -> None:
    if self.pending:
      raise KeyboardInterrupt
    self.pending = True

  def raise_if_pending(self) -> None:
    if self.pending:
      raise KeyboardInterrupt


@contextlib.contextmanager
def deferred_interrupts() -> Iterator[Interrupts]:
  interrupts = Interrupts()
  if threading.current_thread() is not threading.main_thread():   # only the main thread may set handlers
    yield interrupts
    return
  previous = signal.signal(signal.SIGINT, interrupts.handle)
  try:
    yield interrupts
    interrupts.raise_if_pending()
  finally:
    signal.signal(signal.SIGINT, previous)
