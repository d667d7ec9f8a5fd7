"""``python -m igsn_graph.cli``: the ``igsn-graph`` command."""

from . import main

raise SystemExit(main())
