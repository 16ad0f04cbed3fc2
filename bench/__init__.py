"""Benchmarks of the e-SAV gateway: HTTP throughput and latency, data scale.

Run with ``esav banc`` (see bench/README.md). Nothing here is imported by the gateway itself,
except by the ``esav banc`` command, which loads it from the source tree.
"""
