"""Pure numpy + numba kernels on plain arrays: no xarray, no dask, no I/O."""
