"""landcarbon.ops: xarray/dask-aware lazy operations built on kernels."""
