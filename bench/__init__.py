"""Benchmarks for pymodel (`make bench`), not tests: each one measures the runtime side by side with a baseline.

Machines are shared and noisy, so every comparison is reported as a ratio of medians over repeated,
interleaved runs, never as an absolute number to hold a machine to.
"""
