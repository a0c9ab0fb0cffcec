"""User-facing data errors: raised before any array reaches JAX."""


class DataError(ValueError):
  """Missing or malformed input data, with a message that says what to fix."""
