"""``landcarbon serve --catalog PATH_OR_URL``: the open-data API and dashboard over a results catalog.

Runs uvicorn with ``--workers`` processes (each opens the catalog; over one PostgreSQL catalog they
answer alike). Logs are JSON lines on stderr. SIGINT / SIGTERM stop it gracefully: open requests
finish (up to 10 s), runs started from the API are stopped, the catalog is closed. docs/web.md.
"""

from __future__ import annotations

import os

import click

from ..core.errors import InputValidationError


@click.command("serve")
@click.option("--catalog", required=True, envvar="LANDCARBON_CATALOG",
              help="The results catalog: a folder or SQLite file, or postgresql://USER@HOST:PORT/DB "
                   "(env LANDCARBON_CATALOG).")
@click.option("--schema", default=None, help="PostgreSQL schema holding the catalog tables.")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (0.0.0.0: every interface of the machine).")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="TCP port.")
@click.option("--token-file", type=click.Path(dir_okay=False), default=None,
              help="File holding the bearer token of the write routes (without it they are off).")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Worker processes (use a PostgreSQL catalog for several on a busy server).")
@click.option("--root", type=click.Path(file_okay=False), default=None,
              help="Folder of the study folders (outputs, tiles, uploaded plans and runs); default the folder "
                   "of a SQLite catalog.")
@click.option("--cors-origin", "cors", multiple=True,
              help="Origin allowed to call the API from a browser page elsewhere (repeat; '*' for any).")
@click.option("--max-upload-mb", default=1.0, show_default=True, type=click.FloatRange(0.001, 100),
              help="Largest plan upload.")
@click.option("--log-level", default="info", show_default=True,
              type=click.Choice(["debug", "info", "warning", "error"]), help="Log level (JSON lines on stderr).")
@click.option("--cache-entries", default=2048, hidden=True, type=click.IntRange(0, 10**6),
              help="Responses kept per worker while the catalog is unchanged (0: none).")
@click.option("--run-command", default=None, hidden=True,
              help="The study runner started by POST /api/runs ({python} {plan} {out} {catalog} {study} {root}).")
def cli(catalog: str, schema: str | None, host: str, port: int, token_file: str | None, workers: int,
        root: str | None, cors: tuple[str, ...], max_upload_mb: float, log_level: str, cache_entries: int,
        run_command: str | None) -> None:
    """Serve the open-data API (OpenAPI at /openapi.json) and the monitoring dashboard (/) offline."""
    from ..core.spec import Issue
    from ..io.catalog import Catalog
    from ..web.settings import DEFAULT_RUN_COMMAND, ENV, Settings

    try:
        import uvicorn

        from ..web import dashboard, logs
        from ..web.service import read_token
    except ImportError as err:
        raise click.ClickException(f"the web service needs the web extra ({err.name} is missing): "
                                   f"pip install 'landcarbon[web]'") from None
    if token_file:
        try:
            read_token(token_file)
        except ValueError as err:
            raise InputValidationError([Issue("token_file", str(err))]) from None
    if root and not os.path.isdir(root):
        raise InputValidationError([Issue("root", f"{root} is not a folder; create it or give another")])
    settings = Settings(catalog=str(catalog), schema=schema, root=os.path.abspath(root) if root else None,
                        token_file=os.path.abspath(token_file) if token_file else None, cors_origins=tuple(cors),
                        max_upload_bytes=int(max_upload_mb * (1 << 20)), run_command=run_command or DEFAULT_RUN_COMMAND,
                        log_level=log_level, cache_entries=cache_entries)
    with Catalog.open(settings.catalog, schema=schema) as cat:  # a bad catalog is one error line, before listening
        n = len(cat.studies())
    missing = dashboard.missing_assets()
    if missing:
        click.echo(f"warning: the dashboard's JavaScript libraries are missing ({', '.join(missing)}); run "
                   f"`make install` (npm ci); the API works without them", err=True)
    click.echo(f"landcarbon serve: {n} studies from {cat.url} on http://{host}:{port}/ "
               f"({workers} worker{'s' if workers > 1 else ''}; writes {'on' if token_file else 'off'})", err=True)
    os.environ[ENV] = settings.to_env()
    uvicorn.run("landcarbon.web.app:app_from_env", factory=True, host=host, port=port, workers=workers,
                log_config=logs.log_config(log_level), access_log=False, timeout_graceful_shutdown=10,
                server_header=False, proxy_headers=False)
