"""`make bench`: the service's speed side by side with the raw database (issue 8).

Never part of `make test`. Run with `python -m benchmarks` (BENCH_SCALE=small|full).
"""
