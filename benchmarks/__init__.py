"""Benchmarks for gansynth, run as ``python -m benchmarks <command> ...`` from the repository root.

Results, with the command that produced them, are committed under ``benchmarks/results/``.
"""
