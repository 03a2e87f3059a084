"""Benchmarks for the map server (``python -m bench.run``); not part of the app or the tests."""
