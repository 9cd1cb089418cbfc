"""Open a landcarbon algorithm's Processing dialog in QGIS and save a screenshot of it.

Run with QGIS's Python (``/usr/bin/python3`` on Debian), under Xvfb or ``QT_QPA_PLATFORM=offscreen``::

    QGIS_CUSTOM_CONFIG_PATH=<config with the plugin installed> xvfb-run -a /usr/bin/python3 \\
        tests/qgis/dialog_screenshot.py stock out.png zh_CN

Prints the algorithm's display name and its parameters' labels (one a line) so a test can check
the language without looking at the picture.
"""

from __future__ import annotations

import os
import sys


def main(alg_name: str, png: str, locale: str = "zh_CN") -> int:
    from qgis.core import QgsApplication, QgsSettings
    from qgis.PyQt.QtCore import QCoreApplication, QLocale, QSettings, QTranslator

    QgsApplication.setPrefixPath("/usr", True)
    cfg = os.environ.get("QGIS_CUSTOM_CONFIG_PATH")
    profile = os.path.join(cfg, "profiles", "default") if cfg else ""
    if profile:  # the profile's settings (QGIS3.ini: the plugin, landcarbon's path), as QGIS desktop reads them
        QCoreApplication.setOrganizationName("QGIS")
        QCoreApplication.setApplicationName("QGIS3")
        QSettings.setDefaultFormat(QSettings.IniFormat)
        QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, profile)
    app = QgsApplication([], True, profile)
    s = QgsSettings()
    s.setValue("locale/overrideFlag", True)
    s.setValue("locale/userLocale", locale)
    QLocale.setDefault(QLocale(locale))
    tr = QTranslator()
    qm = "zh-Hans" if locale.lower().startswith("zh") else locale
    if tr.load(f"qgis_{qm}", QgsApplication.i18nPath()):
        QCoreApplication.installTranslator(tr)
    app.initQgis()
    sys.path.insert(0, os.path.join(QgsApplication.pkgDataPath(), "python", "plugins"))
    from processing.core.Processing import Processing

    Processing.initialize()
    plugins = os.path.join(QgsApplication.qgisSettingsDirPath(), "python", "plugins")
    sys.path.insert(0, plugins)
    import landcarbon_provider

    plugin = landcarbon_provider.classFactory(None)
    plugin.initProcessing()
    alg = QgsApplication.processingRegistry().algorithmById(f"landcarbon:{alg_name}")
    if alg is None:
        print(f"no algorithm landcarbon:{alg_name}: {getattr(plugin.provider, '_error', '')}", file=sys.stderr)
        return 1
    from processing.gui.AlgorithmDialog import AlgorithmDialog

    dlg = AlgorithmDialog(alg.create(), False, None)
    dlg.resize(1100, 760)
    dlg.show()
    for _ in range(20):
        app.processEvents()
    dlg.grab().save(png)
    print(alg.displayName())
    for p in alg.parameterDefinitions():
        print(p.description())
    dlg.close()
    plugin.unload()
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
