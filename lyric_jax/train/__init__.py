"""Training engine: population state, jitted steps, epoch loop, Orbax checkpoints."""
