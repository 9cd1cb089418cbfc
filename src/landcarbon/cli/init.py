"""``landcarbon init``: write a commented study plan (and, for the county example, its data)."""

from __future__ import annotations

import os
from pathlib import Path

import click

EXAMPLES = ("county", "wuhan")


def _template(name: str) -> str:
    from importlib import resources

    return (resources.files("landcarbon") / "data" / "plans" / f"{name}.toml").read_text(encoding="utf-8")


def find_wuhan_data() -> Path | None:
    """The wuhan_plus folder: $LANDCARBON_SHARED/data, ../shared/data from here or from the repository."""
    cands = []
    if os.environ.get("LANDCARBON_SHARED"):
        cands.append(Path(os.environ["LANDCARBON_SHARED"]) / "data" / "wuhan_plus")
    here = Path.cwd().resolve()
    cands += [p / "shared" / "data" / "wuhan_plus" for p in (here, *here.parents)]
    repo = Path(__file__).resolve().parents[3]
    cands.append(repo.parent / "shared" / "data" / "wuhan_plus")
    return next((c for c in cands if (c / "wh2010_refy.tif").is_file()), None)


def write_plan(target: str | os.PathLike, example: str = "county", *, data: str | os.PathLike | None = None,
               force: bool = False) -> Path:
    """Write the example plan to ``target`` (a .toml file, or a folder for plan.toml); returns its path."""
    from ..core.errors import InputValidationError
    from ..core.spec import Issue

    t = Path(target)
    plan = t if t.suffix.lower() == ".toml" else t / "plan.toml"
    if plan.exists() and not force:
        raise InputValidationError([Issue("target", f"{plan} exists; expected a new file: choose another one, or "
                                                    f"give --force to replace it")])
    plan.parent.mkdir(parents=True, exist_ok=True)
    text = _template(example)
    if example == "county":
        from ..datasets.county import write_county

        if data is not None:
            raise InputValidationError([Issue("data", "the county example writes its own data; drop --data")])
        write_county(plan.parent / "data")
    else:
        src = Path(data) if data is not None else find_wuhan_data()
        if src is None or not (src / "wh2010_refy.tif").is_file():
            raise InputValidationError([Issue("data", f"the Wuhan PLUS sample data (wh2010_refy.tif …) was not found"
                                                      f"{' in ' + str(src) if src else ''}; expected its folder: "
                                                      f"give --data PATH/wuhan_plus")])
        rel = os.path.relpath(src.resolve(), plan.parent.resolve()).replace(os.sep, "/")
        text = text.replace("{WUHAN_PLUS}", rel)
    from ..io import atomic_write_text

    atomic_write_text(plan, text)
    return plan


@click.command(name="init", context_settings={"max_content_width": 110})
@click.argument("target", default=".", type=click.Path())
@click.option("--example", type=click.Choice(EXAMPLES), default="county", show_default=True,
              help="county: the synthetic example county with its data (written to data/ beside the plan); "
                   "wuhan: the Wuhan study on the PLUS sample data (found, or given with --data).")
@click.option("--data", default=None, type=click.Path(file_okay=False), help="Folder of the Wuhan PLUS sample data.")
@click.option("--force", is_flag=True, help="Replace an existing plan file.")
def cli(target: str, example: str, data: str | None, force: bool) -> None:
    """Write a commented study plan to TARGET (a folder, for TARGET/plan.toml, or a .toml file): every section
    the runner reads, explained in place (docs/study.md is the reference). Then `landcarbon check` it and
    `landcarbon run` it."""
    plan = write_plan(target, example, data=data, force=force)
    click.echo(f"wrote {plan}" + (f" and its data in {plan.parent / 'data'}" if example == "county" else ""))
    click.echo(f"next: landcarbon check {plan}  then  landcarbon run {plan}")
