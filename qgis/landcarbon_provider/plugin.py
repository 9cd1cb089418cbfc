"""The plugin object QGIS loads: it registers the provider (in the desktop and in qgis_process)."""

from __future__ import annotations

from qgis.core import QgsApplication


class LandcarbonPlugin:
    def __init__(self, iface=None):
        self.iface = iface
        self.provider = None

    def initProcessing(self):  # noqa: N802 - QGIS plugin API (qgis_process calls only this)
        if self.provider is None:
            from .provider import LandcarbonProvider

            self.provider = LandcarbonProvider()
            QgsApplication.processingRegistry().addProvider(self.provider)

    def initGui(self):  # noqa: N802
        self.initProcessing()

    def unload(self):
        if self.provider is not None:
            QgsApplication.processingRegistry().removeProvider(self.provider)
            self.provider = None
