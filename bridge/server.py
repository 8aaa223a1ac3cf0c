"""Running the bridge under gunicorn, after checking that there is something to serve."""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import click
from gunicorn.app.base import BaseApplication
from sqlalchemy.exc import SQLAlchemyError

from bridge.app import create_app
from bridge.db import upgrade_database
from bridge.search.admission import COSTLY_IN_FLIGHT, SharedTurns
from bridge.search.index_reader import IndexUnavailable, SearchIndex
from bridge.search.meaning import load_query_model
from bridge.settings import SettingsError
from bridge.tickets.policy import PolicyError
from bridge.web.context import services

# Threads per worker: more than the costly searches a worker holds at once (bridge.search.admission), which wait
# for their turn on a thread without using CPU, so that an ordinary search always finds a thread free.
THREADS = COSTLY_IN_FLIGHT + 4
# Each request's path without its query string, and no referrer: a query holds what a customer typed (a search,
# words from their tickets), which the search log keeps only redacted and the access log need not keep at all.
ACCESS_LOG_FORMAT = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms'


class _Gunicorn(BaseApplication):
    def __init__(self, overrides: Mapping[str, str], options: dict) -> None:
        self.overrides, self.options = overrides, options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        return create_app(self.overrides)


def _worker_start(costly_turns: Path) -> Callable[[Any], None]:
    """The hook that readies each worker: its sentence model, its outbox sender, the costly searches' shared turn."""

    def start(worker) -> None:  # noqa: ANN001 (a gunicorn worker)
        load_query_model()
        index = services(worker.wsgi).search_index()
        if isinstance(index, SearchIndex):
            index.lanes.take_turns_with(SharedTurns(costly_turns))
        services(worker.wsgi).start_outbox_sender()

    return start


def serve_app(overrides: Mapping[str, str], *, host: str, workers: int) -> int:
    """Serve until stopped; returns an exit status (2 when the settings, policy, index or database are unusable)."""
    try:
        probe = create_app(overrides)
    except (SettingsError, PolicyError) as error:
        click.echo(f"kb serve: {error}", err=True)
        return 2
    port = services(probe).settings.port
    index = services(probe).search_index()
    if isinstance(index, IndexUnavailable):
        click.echo(f"kb serve: {index}", err=True)
        return 2
    try:
        upgrade_database(services(probe).settings.database_url)
    except SQLAlchemyError as error:
        click.echo(f"kb serve: cannot prepare the database KB_DATABASE_URL: {error}", err=True)
        return 2
    click.echo(f"Help centre on http://{host}:{port}/ (index {index.info().path})")
    # Each worker loads its own sentence model (never this process, which forks them) and sends mail
    # from the outbox, woken by the tickets it stores. Its costly searches take turns with the other
    # workers' through a file this process makes, which each worker opens and locks for itself.
    handle, turns = tempfile.mkstemp(prefix="kb-costly-searches-")
    os.close(handle)
    options = {"bind": f"{host}:{port}", "workers": workers, "worker_class": "gthread", "threads": THREADS,
               "timeout": 30, "accesslog": "-", "access_log_format": ACCESS_LOG_FORMAT, "errorlog": "-",
               "loglevel": "warning",
               "post_worker_init": _worker_start(Path(turns)),
               "worker_exit": lambda server, worker: services(worker.wsgi).close()}
    poller = _start_mail_poller(overrides) if services(probe).settings.imap_url and \
        services(probe).settings.imap_poll_seconds else None
    master = os.getpid()
    try:
        _Gunicorn(overrides, options).run()
    finally:
        if os.getpid() == master:  # an exiting worker leaves through here too: the file and the poller are not its own
            os.unlink(turns)
            if poller is not None:
                poller.terminate()
                poller.wait(timeout=30)
    return 0


def _start_mail_poller(overrides: Mapping[str, str]) -> subprocess.Popen[bytes]:
    """`kb mail poll --watch` in a process of its own: a mailbox that hangs never holds up a web worker."""
    click.echo("Polling KB_IMAP_URL every KB_IMAP_POLL_SECONDS (kb mail poll --watch)")
    return subprocess.Popen([sys.executable, "-m", "bridge.cli", "mail", "poll", "--watch"],
                            env={**os.environ, **overrides})
