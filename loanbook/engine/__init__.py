"""The engine: a pure function of (agreement, events, market data, as-of date, known-at time) -> figures.

No file, clock or database is touched here; stores and interfaces are adapters around it.
"""
