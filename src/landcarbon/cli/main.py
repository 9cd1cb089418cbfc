"""``landcarbon`` command group: lazy subcommands and one error handler for all of them.

A subcommand is a module ``landcarbon.cli.<name>`` exposing a click command named ``cli``; model
commands are generated from the model specs (``cli.specgen``). Every user error prints one
``error:`` line per problem on stderr and exits 2 (a traceback only with -v); warnings print one
``warning:`` line each.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import warnings

import click

from ..core.errors import InputValidationError, LandcarbonError

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
    "indicators": ("indicators", "Indicator monitoring (监测预警): values and status against targets."),
    "init": ("init", "Write a commented study plan (plan.toml), or an example study with its data."),
    "check": ("check", "Preflight of a study plan: every check of the run, grids, classes, cells, memory, time."),
    "run": ("run", "Run a whole study from its plan file (resumable; results catalog; manifest last)."),
    "spec": ("spec", "Print the model specs (inputs, outputs, units) as text or JSON."),
    "qgis": ("qgis", "The QGIS Processing provider: install it into a profile, or build its zip."),
    "serve": ("serve", "Serve the open-data API and the monitoring dashboard (offline) over a results catalog."),
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

    def resolve_command(self, ctx: click.Context, args: list[str]):
        name = args[0] if args else ""
        if name and name not in COMMANDS and not name.startswith("-"):
            from ..core.validation import did_you_mean

            raise click.UsageError(f"no command {name!r}{did_you_mean(name, COMMANDS)}; the commands are "
                                   f"{', '.join(self.list_commands(ctx))}")
        return super().resolve_command(ctx, args)

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


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:  # noqa: ANN001
    """landcarbon's own warnings as one line each; other libraries' warnings only with -v (they are
    about their internals, e.g. rasterio's NotGeoreferencedWarning, and landcarbon reports what matters)."""
    from ..core.errors import LandcarbonWarning

    if issubclass(category, LandcarbonWarning):
        click.echo(f"warning: {_one_line(message)}", err=True)
    elif _VERBOSE:
        click.echo(f"warning ({category.__name__}): {_one_line(message)}", err=True)


_VERBOSE = False


def error_lines(err: Exception) -> list[str]:
    """The ``error:`` lines of a user error: one per problem."""
    if isinstance(err, InputValidationError) and len(err.issues) > 1:
        return [f"error: {_one_line(i)}" for i in err.issues]
    return [f"error: {_one_line(err)}"]


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    verbose = "-v" in args or "--verbose" in args
    global _VERBOSE
    _VERBOSE = verbose
    old_show = warnings.showwarning
    warnings.showwarning = _show_warning
    try:
        cli.main(args=args, prog_name="landcarbon", standalone_mode=False)
    except LandcarbonError as err:
        if verbose:
            raise
        for line in error_lines(err):
            click.echo(line, err=True)
        sys.exit(2)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.exceptions.NoArgsIsHelpError as err:
        click.echo(err.ctx.get_help() if err.ctx else str(err))
        sys.exit(2)
    except click.UsageError as err:
        hint = ""
        if err.ctx is not None and err.ctx.command_path:
            hint = f" (see {err.ctx.command_path} --help)"
        click.echo(f"error: {_one_line(err.format_message())}{hint}", err=True)
        sys.exit(2)
    except click.ClickException as err:
        click.echo(f"error: {_one_line(err.format_message())}", err=True)
        sys.exit(2 if err.exit_code in (1, 2) else err.exit_code)
    except click.exceptions.Exit as err:
        sys.exit(err.exit_code)
    finally:
        warnings.showwarning = old_show


if __name__ == "__main__":  # pragma: no cover
    main()
