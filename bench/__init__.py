"""Benchmarks of the e-SAV gateway: HTTP throughput and latency, data scale.

Run with ``esav bench`` (see bench/README.md). Nothing here is imported by the gateway itself,
except by the ``esav bench`` command, which loads it from the source tree.
"""
