"""Benchmarks: `python -m tests.bench.run` runs every registered bench and writes results/ and REPORT.md."""
