"""Core: grids, class schemes, model specs, units, errors and provenance (no file I/O)."""
