"""Runs: load inputs through io, call models, write outputs and the manifest; owns the Dask client."""
