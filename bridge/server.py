"""Running the bridge under gunicorn, after checking that there is something to serve."""
from __future__ import annotations

from collections.abc import Mapping

import click
from gunicorn.app.base import BaseApplication

from bridge.app import create_app
from bridge.db import upgrade_database
from bridge.search.index_reader import IndexUnavailable
from bridge.web.search_api import EXTENSION


class _Gunicorn(BaseApplication):
    def __init__(self, overrides: Mapping[str, str], options: dict) -> None:
        self.overrides, self.options = overrides, options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        return create_app(self.overrides)


def serve_app(overrides: Mapping[str, str], *, host: str, port: int, workers: int) -> int:
    """Serve until stopped; returns an exit status (2 when the index is missing)."""
    probe = create_app(overrides)
    problem = probe.extensions[EXTENSION]
    if isinstance(problem, IndexUnavailable):
        click.echo(f"kb serve: {problem}", err=True)
        return 2
    upgrade_database(probe.config["KB_DATABASE_URL"])
    click.echo(f"Help centre on http://{host}:{port}/ (index {problem.info().path})")
    options = {"bind": f"{host}:{port}", "workers": workers, "worker_class": "gthread", "threads": 4,
               "timeout": 30, "accesslog": "-", "errorlog": "-", "loglevel": "warning"}
    _Gunicorn(overrides, options).run()
    return 0
