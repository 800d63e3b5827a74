"""Demo workers: `python -m examples` (from python/) runs both in one process."""
