"""The geospatial core of enforcemap: sources, resolution, build, store, index and statistics.

Nothing here knows about HTTP or HTML; ``api`` and ``maps`` import ``geo``, never the reverse.
"""
