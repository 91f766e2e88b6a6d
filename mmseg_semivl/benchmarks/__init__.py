"""Benchmarks (opt-in: ``import mmseg_semivl`` does not import this package)."""
