"""`kb check` and `kb build`: the writers' commands, from Markdown to a published site and index."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from bridge.cli.startup import fail, settings_or_exit
from bridge.settings import Settings
from bridge.content.check import check_kb
from bridge.content.products import load_products

KB_OPTION = click.option("--kb", "kb_dir", type=click.Path(file_okay=False, exists=True, path_type=Path),
                         default=None, help="Folder of Markdown articles (default: the project's kb/).")

LENIENT_PREFIX = "WARNING -  "  # as MkDocs prints its own warnings


def run_check(kb_dir: Path, *, as_warnings: bool = False) -> int:
    """Print every content problem as `path:line: message` (as build warnings when lenient); how many there were."""
    products_file = settings_or_exit("kb check").products
    try:
        products = {product.key for product in load_products(products_file)}
    except ValueError as error:
        fail("kb check", 2, f"KB_PRODUCTS: {error}")
    problems = check_kb(kb_dir, products)
    for problem in problems:
        click.echo(f"{LENIENT_PREFIX}{problem}" if as_warnings else str(problem), err=True)
    return len(problems)


@click.command()
@KB_OPTION
def check(kb_dir: Path | None) -> None:
    """Validate front matter, links and anchors; exit 1 on any problem."""
    from bridge.site_build import OUR_KB

    if run_check(kb_dir or OUR_KB):
        sys.exit(1)
    click.echo("kb check: no problems found")


@click.command()
@KB_OPTION
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Output folder: site/ and index/ (default: KB_BUILD_DIR).")
@click.option("--strict/--lenient", default=None,
              help="Fail on any warning. Default: strict for the project's kb/, lenient for other folders.")
@click.option("--config", "config_file", type=click.Path(dir_okay=False, exists=True, path_type=Path), default=None,
              help="A company's own mkdocs.yml (default: KB_MKDOCS_CONFIG); our plugin and theme apply to it too.")
def build(kb_dir: Path | None, out_dir: Path | None, strict: bool | None, config_file: Path | None) -> None:
    """Build the site with MkDocs and the search index from the same rendered pages."""
    from mkdocs.exceptions import Abort, ConfigurationError

    from bridge.site_build import OUR_KB, build_site

    kb_dir = (kb_dir or OUR_KB).resolve()
    if strict is None:
        strict = kb_dir == OUR_KB.resolve()
    problems = run_check(kb_dir, as_warnings=not strict)
    if problems and strict:
        sys.exit(1)
    if problems:
        click.echo(f"kb build: {problems} problem(s) that `kb check` reports, published anyway; --strict refuses", err=True)
    settings = settings_or_exit("kb build")
    out_dir = out_dir or settings.build_dir
    try:
        build_site(kb_dir, out_dir, strict=strict, config_file=config_file or settings.mkdocs_config)
    except (Abort, ConfigurationError) as exc:
        click.echo(f"kb build failed: {exc}", err=True)
        sys.exit(1)
    click.echo(f"Built {kb_dir} into {out_dir}" + (f" with {problems} warning(s) from kb check" if problems else ""))
    if out_dir.resolve() == settings.build_dir.resolve():
        announce_release_notes(settings, out_dir / "site")


def announce_release_notes(settings: Settings, site_dir: Path) -> None:
    """Mail the release notes this build published for the first time (only a build into KB_BUILD_DIR, the site
    the bridge serves, publishes). The site is out either way: a failure here is a warning, and the next build
    announces what this one could not."""
    from sqlalchemy.exc import SQLAlchemyError

    from bridge.db import upgrade_database, utc_now
    from bridge.release_notes.announce import announce
    from bridge.services import Services
    from bridge.settings import SettingsError
    from bridge.tickets.policy import PolicyError

    services = None
    try:
        services = Services(settings)
        upgrade_database(settings.database_url)
        done = announce(services.sessions(), site_dir, sender=settings.mail_from, site_url=settings.public_url,
                        product_names={product.key: product.name for product in services.products}, now=utc_now())
    except (SQLAlchemyError, SettingsError, PolicyError, ValueError) as error:
        click.echo(f"kb build: release notes not announced ({type(error).__name__}: {error}); "
                   "the next build into KB_BUILD_DIR announces them", err=True)
        return
    finally:
        if services is not None:
            services.close()
    for announced in done:
        click.echo(f"Release note {announced.note.path} mailed to {announced.recipients} nominated contact(s)")
