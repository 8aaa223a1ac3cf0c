"""The Flask application factory: settings in, a wired bridge out."""
from __future__ import annotations

from collections.abc import Mapping

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from bridge.services import Services
from bridge.settings import load_settings
from bridge.web import (account, account_tickets, context, credits, desk, desk_actions, desk_api, desk_report, errors,
                        headers, openapi, policy_api, search_api, search_log_api, site, tickets)


def create_app(overrides: Mapping[str, str] | None = None) -> Flask:
    """Build the bridge; tests pass `overrides` (variable name to value) instead of touching the environment."""
    services = Services(load_settings(overrides=overrides))
    app = Flask(__name__)
    proxies = services.settings.trusted_proxies
    if proxies:
        # Behind N reverse proxies, the client's address and scheme come from the headers they add, so
        # rate limits count real clients, not the proxy; with none, those headers are anyone's to forge.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]
    context.init_app(app, services)
    errors.init_app(app)
    headers.init_app(app)
    search_log_api.init_app(app)
    search_api.init_app(app)
    search_api.limit_searches(app)
    tickets.init_app(app)
    account.init_app(app)
    account_tickets.init_app(app)
    credits.init_app(app)
    desk_api.init_app(app)
    desk.init_app(app)
    desk_actions.init_app(app)
    desk_report.init_app(app)
    app.register_blueprint(policy_api.bp)
    app.register_blueprint(openapi.bp)
    app.register_blueprint(site.bp)
    return app
