"""The `kb` command: check and build the help centre, serve the bridge, look up tickets."""
from __future__ import annotations

import sys
from pathlib import Path

import click
from mkdocs.exceptions import Abort, ConfigurationError

from bridge.cli_gaps import gaps
from bridge.cli_tickets import tickets
from bridge.content.check import check_kb
from bridge.content.products import load_products
from bridge.settings import SETTINGS, load_settings

KB_OPTION = click.option("--kb", "kb_dir", type=click.Path(file_okay=False, exists=True, path_type=Path),
                         default=None, help="Folder of Markdown articles (default: the project's kb/).")

SETTINGS_HELP = "\n\n".join(f"{s.name}: {s.help}" for s in SETTINGS)


@click.group(help=f"kb-bridge: a help centre with a ticket bridge.\n\nSettings (environment):\n\n{SETTINGS_HELP}")
def main() -> None:
    pass


def run_check(kb_dir: Path) -> bool:
    """Print every content problem as `path:line: message`; True when there were none."""
    settings = load_settings()
    products = {product.key for product in load_products(Path(settings["KB_PRODUCTS"]))}
    problems = check_kb(kb_dir, products)
    for problem in problems:
        click.echo(str(problem), err=True)
    return not problems


@main.command()
@KB_OPTION
def check(kb_dir: Path | None) -> None:
    """Validate front matter, links and anchors; exit 1 on any problem."""
    from bridge.site_build import OUR_KB

    if not run_check(kb_dir or OUR_KB):
        sys.exit(1)
    click.echo("kb check: no problems found")


@main.command()
@KB_OPTION
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Output folder: site/ and index/ (default: KB_BUILD_DIR).")
@click.option("--strict/--lenient", default=None,
              help="Fail on any warning. Default: strict for the project's kb/, lenient for other folders.")
def build(kb_dir: Path | None, out_dir: Path | None, strict: bool | None) -> None:
    """Build the site with MkDocs and the search index from the same rendered pages."""
    from bridge.site_build import OUR_KB, build_site

    kb_dir = (kb_dir or OUR_KB).resolve()
    if strict is None:
        strict = kb_dir == OUR_KB.resolve()
    if strict and not run_check(kb_dir):
        sys.exit(1)
    out_dir = out_dir or Path(load_settings()["KB_BUILD_DIR"])
    try:
        build_site(kb_dir, out_dir, strict=strict)
    except (Abort, ConfigurationError) as exc:
        click.echo(f"kb build failed: {exc}", err=True)
        sys.exit(1)
    click.echo(f"Built {kb_dir} into {out_dir}")


@main.command()
@click.option("--port", type=int, default=None, help="Port on 127.0.0.1 (default: $PORT or 8000).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="The folder `kb build --out` wrote (default: KB_BUILD_DIR).")
@click.option("--workers", type=int, default=2, show_default=True, help="gunicorn worker processes.")
def serve(port: int | None, host: str, out_dir: Path | None, workers: int) -> None:
    """Serve the built site and the bridge's API under gunicorn."""
    import os

    from bridge.server import serve_app

    overrides = {"KB_BUILD_DIR": str(out_dir.resolve())} if out_dir else {}
    port = port or int(os.environ.get("PORT", "8000"))
    sys.exit(serve_app(overrides, host=host, port=port, workers=workers))


main.add_command(gaps)
main.add_command(tickets)

if __name__ == "__main__":
    main()
