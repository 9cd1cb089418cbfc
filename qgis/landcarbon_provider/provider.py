"""The landcarbon Processing provider: one algorithm per model of ``landcarbon spec --json``."""

from __future__ import annotations

import os
from pathlib import Path

from qgis.core import Qgis, QgsApplication, QgsMessageLog, QgsProcessingProvider, QgsSettings
from qgis.PyQt.QtGui import QIcon

from . import runner, specmap
from .algorithm import LandcarbonAlgorithm, current_lang

SETTING = "LANDCARBON_EXECUTABLE"  # Processing ▸ Options ▸ Providers ▸ landcarbon


def _log(msg: str, level=Qgis.Info) -> None:
    QgsMessageLog.logMessage(msg, "landcarbon", level)


class LandcarbonProvider(QgsProcessingProvider):
    def __init__(self):
        super().__init__()
        self._version = ""
        self._error = ""
        self._styles: dict[tuple[str, ...], dict] = {}

    # -- identity ----------------------------------------------------------------------------------
    def id(self):
        return specmap.PROVIDER_ID

    def name(self):
        return "landcarbon"

    def longName(self):  # noqa: N802 - QGIS API
        return f"landcarbon {self._version}".strip()

    def icon(self):
        return QIcon(str(Path(__file__).with_name("icon.svg")))

    # -- settings ----------------------------------------------------------------------------------
    def load(self):
        try:  # the Processing plugin's settings dialog (absent in a bare qgis_process without processing)
            from processing.core.ProcessingConfig import ProcessingConfig, Setting

            ProcessingConfig.settingIcons[self.name()] = self.icon()
            ProcessingConfig.addSetting(Setting(self.name(), SETTING, "landcarbon command (path of landcarbon or "
                                                "landcarbon.exe, or of its virtual environment)",
                                                QgsSettings().value(runner.SETTINGS_KEY, "") or "",
                                                valuetype=Setting.FILE))
            ProcessingConfig.readSettings()
        except Exception:  # noqa: BLE001
            pass
        self.refreshAlgorithms()
        return True

    def unload(self):
        try:
            from processing.core.ProcessingConfig import ProcessingConfig

            ProcessingConfig.removeSetting(SETTING)
        except Exception:  # noqa: BLE001
            pass

    def configured_executable(self) -> str | None:
        try:
            from processing.core.ProcessingConfig import ProcessingConfig

            v = ProcessingConfig.getSetting(SETTING)
            if v:
                return str(v)
        except Exception:  # noqa: BLE001
            pass
        return QgsSettings().value(runner.SETTINGS_KEY, "") or None

    def cache_dir(self) -> str:
        return os.path.join(QgsApplication.qgisSettingsDirPath(), "landcarbon_cache")

    # -- algorithms --------------------------------------------------------------------------------
    def styles(self, schemes: list[str]) -> dict:
        key = tuple(schemes)
        if key not in self._styles:
            exe = runner.find_executable(self.configured_executable())
            self._styles[key] = runner.read_styles(exe, self.cache_dir(), schemes)
        return self._styles[key]

    def loadAlgorithms(self):  # noqa: N802 - QGIS API
        self._error = ""
        try:
            exe = runner.find_executable(self.configured_executable())
            # LANDCARBON_QGIS_REFRESH=1: read the specs again (a development checkout keeps its version)
            doc = runner.read_spec(exe, self.cache_dir(), refresh=bool(os.environ.get("LANDCARBON_QGIS_REFRESH")))
        except Exception as err:  # noqa: BLE001 - shown in the log; the provider stays, empty
            self._error = str(err)
            _log(f"no landcarbon algorithms: {err}", Qgis.Warning)
            return
        self._version = doc.get("landcarbon_version", "")
        env = {"executable": exe, "lang": current_lang(), "styles": self.styles}
        for model in doc.get("models", []):
            try:
                self.addAlgorithm(LandcarbonAlgorithm(model, env))
            except Exception as err:  # noqa: BLE001 - one bad spec must not hide the others
                _log(f"model {model.get('id')}: {err}", Qgis.Warning)
