"""landcarbon: carbon accounting, land-use simulation and planning evaluation for 国土空间规划 under 双碳."""

from .core.classes import CLCD, GLOBELAND30, MODIS_IGBP, NATIONAL6, ClassScheme, Crosswalk
from .core.errors import (
    EmptyInputError,
    GridMismatchError,
    InfeasibleError,
    InputFileError,
    InputValidationError,
    LandcarbonError,
    MissingClassError,
    UnitError,
)
from .core.grid import GridSpec, ensure_aligned, grid_of

__version__ = "0.1.0"

__all__ = [
    "CLCD", "GLOBELAND30", "MODIS_IGBP", "NATIONAL6", "ClassScheme", "Crosswalk", "EmptyInputError",
    "GridMismatchError", "GridSpec", "InfeasibleError", "InputFileError", "InputValidationError",
    "LandcarbonError", "MissingClassError", "UnitError", "__version__", "ensure_aligned", "grid_of",
]
