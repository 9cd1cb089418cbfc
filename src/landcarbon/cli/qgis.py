"""``landcarbon qgis``: the QGIS Processing provider (docs/qgis.md).

``landcarbon qgis install [--profile NAME]`` copies the plugin into a QGIS profile, enables it and
saves this landcarbon command's path there; ``landcarbon qgis zip --out DIR`` builds the zip for
QGIS's plugin manager; ``landcarbon qgis styles`` prints the class-scheme colours and names, zoning
classes and colour ramps the plugin styles its layers with (JSON; the plugin calls it).

The plugin's algorithms are generated from ``landcarbon spec --json`` by the plugin itself, inside
QGIS: it runs this command as a subprocess, so QGIS's Python needs none of landcarbon's dependencies.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import zipfile
from pathlib import Path

import click

PLUGIN = "landcarbon_provider"
_SKIP = ("__pycache__", ".pyc", ".pyo", ".DS_Store")


def plugin_source() -> Path:
    """The plugin folder: packaged data (``landcarbon/qgis_plugin``) or the checkout's
    ``qgis/landcarbon_provider`` (an editable install)."""
    here = Path(__file__).resolve()
    for c in (here.parents[1] / "qgis_plugin" / PLUGIN, here.parents[3] / "qgis" / PLUGIN):
        if (c / "metadata.txt").is_file():
            return c
    from ..core.errors import LandcarbonError

    raise LandcarbonError("the QGIS plugin's files were not found beside this landcarbon (expected "
                          f"{here.parents[3] / 'qgis' / PLUGIN}); install landcarbon from a checkout "
                          "(pip install -e .) or use the plugin zip of a release")


def _files(src: Path) -> list[Path]:
    return sorted(p for p in src.rglob("*") if p.is_file() and not any(s in str(p) for s in _SKIP))


def _metadata_version(src: Path) -> str:
    for line in (src / "metadata.txt").read_text(encoding="utf-8").splitlines():
        if line.startswith("version="):
            return line.split("=", 1)[1].strip()
    return "0"


def profiles_root() -> Path:
    """QGIS 3's profiles folder of this user (Linux, Windows, macOS)."""
    if os.environ.get("QGIS_CUSTOM_CONFIG_PATH"):
        return Path(os.environ["QGIS_CUSTOM_CONFIG_PATH"]) / "profiles"
    if sys.platform.startswith("win"):
        return Path(os.environ.get("APPDATA", Path.home() / "AppData" / "Roaming")) / "QGIS" / "QGIS3" / "profiles"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "QGIS" / "QGIS3" / "profiles"
    base = Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local" / "share"))
    return base / "QGIS" / "QGIS3" / "profiles"


def this_executable() -> str:
    """The landcarbon command of this environment (beside this Python), forward slashes."""
    bindir = Path(sys.executable).parent
    for name in ("landcarbon", "landcarbon.exe", "Scripts/landcarbon.exe"):
        p = bindir / name
        if p.is_file():
            return p.as_posix()
    w = shutil.which("landcarbon")
    return Path(w).as_posix() if w else (bindir / "landcarbon").as_posix()


def set_ini(path: Path, section: str, key: str, value: str) -> None:
    """Set ``key=value`` in ``[section]`` of a Qt INI file (QGIS3.ini), leaving every other line as it is."""
    lines = path.read_text(encoding="utf-8").splitlines() if path.is_file() else []
    head = f"[{section}]"
    out: list[str] = []
    in_sec = found_sec = done = False
    for line in lines:
        s = line.strip()
        if s.startswith("[") and s.endswith("]"):
            if in_sec and not done:
                out.append(f"{key}={value}")
                done = True
            in_sec = s == head
            found_sec = found_sec or in_sec
        elif in_sec and s.split("=", 1)[0].strip() == key:
            if not done:
                out.append(f"{key}={value}")
                done = True
            continue
        out.append(line)
    if in_sec and not done:
        out.append(f"{key}={value}")
        done = True
    if not found_sec:
        if out and out[-1].strip():
            out.append("")
        out += [head, f"{key}={value}"]
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".landcarbon-tmp")
    tmp.write_text("\n".join(out) + "\n", encoding="utf-8")
    os.replace(tmp, path)


@click.group("qgis", context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """The QGIS Processing provider: every landcarbon model in QGIS's toolbox (docs/qgis.md)."""


@cli.command("install")
@click.option("--profile", default="default", show_default=True, help="QGIS profile to install into.")
@click.option("--profiles-dir", type=click.Path(file_okay=False), default=None,
              help="QGIS profiles folder (default: this user's, e.g. ~/.local/share/QGIS/QGIS3/profiles or "
                   "%APPDATA%\\QGIS\\QGIS3\\profiles).")
@click.option("--executable", default=None,
              help="landcarbon command the plugin runs (default: the one of this environment).")
def install(profile: str, profiles_dir: str | None, executable: str | None) -> None:
    """Install the plugin into a QGIS profile, enable it and save the landcarbon command it runs."""
    src = plugin_source()
    root = Path(profiles_dir) if profiles_dir else profiles_root()
    prof = root / profile
    dest = prof / "python" / "plugins" / PLUGIN
    if dest.exists():
        shutil.rmtree(dest)
    for f in _files(src):
        t = dest / f.relative_to(src)
        t.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(f, t)
    exe = Path(executable).as_posix() if executable else this_executable()
    ini = prof / "QGIS" / "QGIS3.ini"
    set_ini(ini, "PythonPlugins", PLUGIN, "true")
    set_ini(ini, "landcarbon", "executable", exe)
    click.echo(f"installed the landcarbon provider {_metadata_version(src)} into {dest}")
    click.echo(f"enabled in {ini}; it runs {exe}")
    click.echo("restart QGIS: the algorithms are in Processing ▸ Toolbox ▸ landcarbon")


@cli.command("zip")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False), help="Folder for the zip.")
def zip_(out: str) -> None:
    """Build landcarbon_provider-<version>.zip for QGIS's plugin manager (Install from ZIP)."""
    src = plugin_source()
    d = Path(out)
    d.mkdir(parents=True, exist_ok=True)
    path = d / f"{PLUGIN}-{_metadata_version(src)}.zip"
    tmp = path.with_name(path.name + ".tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
        for f in _files(src):
            z.write(f, f"{PLUGIN}/{f.relative_to(src).as_posix()}")
    os.replace(tmp, path)
    click.echo(str(path))


def styles_document(schemes: tuple[str, ...] = ()) -> dict:
    """Colours and names the plugin styles layers with, from the class schemes, the balance zoning,
    the suitability levels, the control-line checks and the report's colour ramps."""
    from ..core.classes import BUILTIN_SCHEMES
    from ..io.inputs import load_scheme
    from ..kernels.confusion import FOM_CATEGORIES
    from ..report import style

    def scheme_entries(s) -> list[dict]:
        return [{"value": c.code, "colour": c.colour, "name_zh": c.name_zh, "name_en": c.name_en, "key": c.key}
                for c in s.classes]

    doc: dict = {"schemes": {name: scheme_entries(s) for name, s in BUILTIN_SCHEMES.items()}}
    for s in schemes:
        doc["schemes"][s] = scheme_entries(load_scheme(s))
    zonings = {}
    for field in ("zone_balance3", "zone_quadrant", "zone_balance3_value"):
        classes = style.zoning_classes("zone_quadrant" if field == "zone_quadrant" else "zone_balance3")
        zonings[field] = [{"value": c, "colour": style.zone_colour(c), "name_zh": style.zone_class_name(c, "zh"),
                           "name_en": style.zone_class_name(c, "en")} for c in [*classes, *(["no_emission"] if "no_emission" not in classes else [])]]
    doc["zonings"] = zonings
    levels: dict = {}
    for ev in ("agriculture", "urban", "ecology", "generic"):
        levels[ev] = {}
        for scale in ("level5", "level3"):
            cols = style.level_colours(ev, scale=scale)
            zh, en = style.level_names(ev, "zh", scale=scale), style.level_names(ev, "en", scale=scale)
            levels[ev][scale] = [{"value": k, "colour": c, "name_zh": zh.get(k, str(k)), "name_en": en.get(k, str(k))}
                                 for k, c in cols.items()]
    doc["levels"] = levels
    zh, en = style.conflict_names("zh"), style.conflict_names("en")
    doc["conflicts"] = [{"value": b, "colour": c, "name_zh": zh.get(b, str(b)), "name_en": en.get(b, str(b))}
                        for b, c in style.CONFLICT_COLOURS.items()]
    fom_zh = {1: "正确保持", 2: "命中", 3: "漏报", 4: "错误命中", 5: "虚报"}
    fom_col = {1: "#d9d9d9", 2: "#1a9850", 3: "#d73027", 4: "#fdae61", 5: "#4575b4"}
    doc["rasters"] = {"fom_categories.tif": [{"value": k, "colour": fom_col.get(k, "#999999"),
                                              "name_zh": fom_zh.get(k, v), "name_en": v}
                                             for k, v in FOM_CATEGORIES.items()]}
    from matplotlib.colors import to_hex

    ramps = {}
    for kind in ("density", "change", "score", "emission"):
        cm = style.cmap(kind)
        ramps[kind] = [to_hex(cm(i / 6)) for i in range(7)]
    doc["ramps"] = ramps
    return doc


@cli.command("styles")
@click.option("--scheme", "schemes", multiple=True, help="Also a scheme table (CSV/XLSX) or name; repeatable.")
def styles(schemes: tuple[str, ...]) -> None:
    """Print the plugin's layer styles (class colours and names, zoning classes, ramps) as JSON."""
    click.echo(json.dumps(styles_document(schemes), ensure_ascii=False))
