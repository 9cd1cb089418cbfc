"""Every file and database access of landcarbon lives here (imports core only)."""

from .atomic import atomic_path, atomic_write_text
from .rasters import align_to, read_raster, write_raster
from .schemes import read_crosswalk, read_scheme
from .tables import read_table, write_csv, write_json
from .vectors import rasterize_zones, read_vector, write_gpkg

__all__ = [
    "align_to", "atomic_path", "atomic_write_text", "rasterize_zones", "read_raster", "read_table",
    "read_vector", "write_csv", "write_gpkg", "write_json", "write_raster",
    "read_crosswalk", "read_scheme",
]
