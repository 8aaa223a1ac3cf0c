"""The Flask application factory: settings in, a wired bridge out."""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from flask import Flask

from bridge.settings import load_settings
from bridge.web import database, errors, openapi, policy_api, search_api, search_log_api, site, tickets


def create_app(overrides: Mapping[str, str] | None = None) -> Flask:
    """Build the bridge; tests pass `overrides` instead of touching the environment."""
    settings = load_settings(overrides=overrides)
    app = Flask(__name__)
    app.config.update(settings)
    build_dir = Path(settings["KB_BUILD_DIR"])
    app.config["KB_SITE_DIR"] = str(build_dir / "site")
    errors.init_app(app)
    database.init_app(app)
    search_log_api.init_app(app)
    search_api.init_app(app, build_dir / "index")
    tickets.init_app(app)
    app.register_blueprint(policy_api.bp)
    app.register_blueprint(openapi.bp)
    app.register_blueprint(site.bp)
    return app
