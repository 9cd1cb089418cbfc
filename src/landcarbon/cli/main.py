"""``landcarbon`` command group: lazy subcommands and one error handler for all of them.

A subcommand is a module ``landcarbon.cli.<name>`` exposing a click command named ``cli``.
User errors (``LandcarbonError``) print one line on stderr and exit 2; a traceback only with -v.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys

import click

from ..core.errors import LandcarbonError

#: command name -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "demo": ("demo", "Run the built-in demo (China, MODIS 2019) and write tables and maps."),
    "stock": ("stock", "Carbon stock, change and value (InVEST-equivalent and beyond)."),
    "change": ("change", "Land-use transition matrix, dynamic degree and Sankey chart."),
    "demand": ("demand", "Land-use demand by Markov chain, trend or scenario rules."),
    "simulate": ("simulate", "PLUS-class land-use simulation under the three control lines."),
    "validate": ("validate", "Accuracy of a simulated map: OA, Kappa, FoM, Pontius components."),
    "emissions": ("emissions", "Carbon emissions from land use and energy, by zone and year."),
    "balance": ("balance", "Carbon balance, compensation zoning and compensation value."),
    "peak": ("peak", "STIRPAT carbon-peak projection by scenario."),
    "allocate": ("allocate", "Quota allocation among zones and ecological compensation."),
    "evaluate": ("evaluate", "Suitability (双评价), control lines and intensive land-use evaluation."),
    "optimize": ("optimize", "Multi-objective optimisation of the land-use structure."),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return [n for n, (mod, _) in COMMANDS.items()
                if importlib.util.find_spec(f"landcarbon.cli.{mod}") is not None]

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS or name not in self.list_commands(ctx):
            return None
        mod = importlib.import_module(f"landcarbon.cli.{COMMANDS[name][0]}")
        return mod.cli

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(n, COMMANDS[n][1]) for n in self.list_commands(ctx)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Show tracebacks for errors.")
@click.version_option(package_name="landcarbon")
@click.pass_context
def cli(ctx: click.Context, verbose: bool) -> None:
    """landcarbon: carbon accounting and land-use planning under China's dual-carbon goals."""
    ctx.ensure_object(dict)
    ctx.obj["verbose"] = verbose


def main(argv: list[str] | None = None) -> None:
    verbose = "-v" in (argv or sys.argv[1:]) or "--verbose" in (argv or sys.argv[1:])
    try:
        cli.main(args=argv, prog_name="landcarbon", standalone_mode=False)
    except LandcarbonError as err:
        if verbose:
            raise
        click.echo(f"error: {err}", err=True)
        sys.exit(2)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as err:
        err.show()
        sys.exit(2 if err.exit_code in (1, 2) else err.exit_code)
    except click.exceptions.Exit as err:
        sys.exit(err.exit_code)


if __name__ == "__main__":  # pragma: no cover
    main()
