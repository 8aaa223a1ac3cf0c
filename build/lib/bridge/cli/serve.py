"""`kb serve`: the built site and the bridge's API under gunicorn."""
from __future__ import annotations

import sys
from pathlib import Path

import click


@click.command()
@click.option("--port", type=click.IntRange(1, 65535), default=None, help="Port on 127.0.0.1 (default: PORT, else 8000).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="The folder `kb build --out` wrote (default: KB_BUILD_DIR).")
@click.option("--workers", type=int, default=2, show_default=True, help="gunicorn worker processes.")
def serve(port: int | None, host: str, out_dir: Path | None, workers: int) -> None:
    """Serve the built site and the bridge's API under gunicorn."""
    from bridge.server import serve_app

    overrides = {}
    if out_dir:
        overrides["KB_BUILD_DIR"] = str(out_dir.resolve())
    if port:
        overrides["PORT"] = str(port)
    sys.exit(serve_app(overrides, host=host, workers=workers))
