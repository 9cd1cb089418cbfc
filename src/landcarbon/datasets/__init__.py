"""Built-in demo regions: China from PyPI data packages (MODIS land cover 2019, provinces)."""

from .china import (
    DENSITY_SET,
    crosswalk_map,
    density_set,
    load_china_outline,
    load_modis_igbp,
    load_provinces,
    modis_path,
    province_names,
)

__all__ = [
    "DENSITY_SET", "crosswalk_map", "density_set", "load_china_outline", "load_modis_igbp", "load_provinces",
    "modis_path", "province_names",
]
