"""Options shared by every command: one name, one meaning."""

from __future__ import annotations

import click

out_dir = click.option("--out", "out", required=True, type=click.Path(file_okay=False),
                       help="Output folder (created; files are written atomically).")
seed = click.option("--seed", type=int, default=None, help="Random seed (recorded in the manifest).")
lang = click.option("--lang", type=click.Choice(["zh", "en"]), default="en", show_default=True,
                    help="Language of labels and messages.")
scheduler = click.option("--scheduler", default=None, envvar="LANDCARBON_SCHEDULER",
                         help="Address of a Dask distributed scheduler (default: local threads).")
overwrite = click.option("--overwrite", is_flag=True, help="Replace outputs that already exist.")
