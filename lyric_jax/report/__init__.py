"""Results tables (markdown) and plots (PNG) written into a run directory."""
