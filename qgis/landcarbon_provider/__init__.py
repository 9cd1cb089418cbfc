"""landcarbon's QGIS Processing provider (docs/qgis.md): every landcarbon model as a Processing
algorithm, generated from ``landcarbon spec --json`` and run through the installed ``landcarbon``
command, so QGIS's own Python needs none of landcarbon's dependencies."""


def classFactory(iface):  # noqa: N802 - QGIS plugin API
    from .plugin import LandcarbonPlugin

    return LandcarbonPlugin(iface)
