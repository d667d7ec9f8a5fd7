"""What the tests and the benchmarks share (servers in child processes, ports, generated inputs, validation cases).

Neither imports the other: both import this. Not shipped in the wheel (``pyproject.toml`` packages only
``igsn_graph`` and ``api``).
"""
