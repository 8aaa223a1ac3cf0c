"""`kb build` and `kb serve` as a writer and an operator meet them."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from bridge.app import create_app
from bridge.cli import main
from bridge.settings import PROJECT_ROOT
from tests.conftest import CORPUS


def test_the_site_is_material_with_our_articles_and_no_browser_index(built_kb: Path) -> None:
    site = built_kb / "site"
    home = (site / "index.html").read_text()
    assert "md-search" in home and "bridge-search-worker.js" in home
    assert (site / "support/help-sheets/priorities-and-response-targets/index.html").is_file()
    assert json.loads((site / "search/search_index.json").read_text())["docs"] == []
    assert (site / "assets/javascripts/bridge-search-worker.js").is_file()


def test_the_bridge_serves_the_site_pages(client) -> None:
    with client.get("/") as home:
        assert home.status_code == 200 and b"Help centre" in home.data
    with client.get("/support/help-sheets/priorities-and-response-targets/") as article:
        assert article.status_code == 200 and b"CRITICAL" in article.data
        assert b"Contact support" in article.data
    with client.get("/no/such/page/") as missing:
        assert missing.status_code == 404


def test_bad_front_matter_fails_the_build_with_file_and_line(kb_copy: Path, tmp_path: Path) -> None:
    sheet = kb_copy / "support/help-sheets/credits.md"
    sheet.write_text(sheet.read_text().replace("type: help-sheet", "type: leaflet"))
    result = CliRunner().invoke(main, ["build", "--kb", str(kb_copy), "--out", str(tmp_path / "out"), "--strict"])
    assert result.exit_code == 1
    assert f"{sheet}:4: front matter: 'type' is 'leaflet'" in result.output
    assert not (tmp_path / "out" / "index").exists()


def test_a_broken_link_fails_the_build_with_file_and_line(kb_copy: Path, tmp_path: Path) -> None:
    sheet = kb_copy / "support/help-sheets/credits.md"
    lines = sheet.read_text().splitlines()
    lines.append("See [the old page](../retired.md).")
    sheet.write_text("\n".join(lines) + "\n")
    result = CliRunner().invoke(main, ["build", "--kb", str(kb_copy), "--out", str(tmp_path / "out"), "--strict"])
    assert result.exit_code == 1
    assert f"{sheet}:{len(lines)}: broken link: '../retired.md'" in result.output


def test_any_folder_of_markdown_builds_leniently(tmp_path: Path) -> None:
    """A slice of the shared corpus, unedited: titles and products come from its own front matter."""
    folder = tmp_path / "imported"
    shutil.copytree(CORPUS / "Outlook" / "Client" / "calendaring", folder / "Outlook" / "calendaring")
    (folder / "no-front-matter.md").write_text("# Plain heading title\n\nSome text about widgets.\n")
    result = CliRunner().invoke(main, ["build", "--kb", str(folder), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    client = create_app({"KB_BUILD_DIR": str(tmp_path / "out")}).test_client()
    body = client.get("/api/search?q=room+finder").get_json()
    room_finder = [r for r in body["results"][:3] if r["url"].startswith("Outlook/calendaring/room-finder/#")]
    assert room_finder and room_finder[0]["product"] == "Outlook for Microsoft 365"
    plain = client.get("/api/search?q=widgets").get_json()["results"][0]
    assert (plain["title"], plain["product"]) == ("Plain heading title", "general")


def test_serve_without_an_index_names_the_path_and_the_command(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "bridge.cli", "serve", "--out", str(tmp_path), "--port", "8999"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert str(tmp_path / "index") in result.stderr and "kb build" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_lenient_build_warns_of_every_problem_and_publishes(tmp_path: Path) -> None:
    """What `kb check` finds is printed with path:line and counted; only --strict refuses to publish."""
    kb = tmp_path / "other"
    links = kb / "rota/help-sheets/swapping-shifts.md"
    links.parent.mkdir(parents=True)
    text = (PROJECT_ROOT / "kb/rota/help-sheets/swapping-shifts.md").read_text()
    broken = kb / "rota/help-sheets/broken-front-matter.md"
    broken.write_text("---\ntitle: Broken\ntags: [a, b\n---\n\n# Broken\n\nText.\n")
    links.write_text(text + "\nSee [one](gone.md), [two](../quick-starts/gone.md) and [three](../../nowhere/gone.md).\n")
    last = len(text.splitlines()) + 2
    payroll = kb / "payroll/help-sheets/payslips.md"
    payroll.parent.mkdir(parents=True)
    payroll.write_text("---\ntitle: Payslips\nsummary: Where payslips are.\ntype: help-sheet\nproduct: payroll\n"
                       "tags: [payslips]\n---\n\n# Payslips\n\nIn the portal.\n")

    result = CliRunner().invoke(main, ["build", "--kb", str(kb), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.output.splitlines() if line.startswith("WARNING -  ")]
    assert warnings == [
        f"WARNING -  {payroll}:1: article outside kb/<product>/<help-sheets|quick-starts|release-notes>/ ('payroll' is not a "
        "product in site_config/products.yml)",
        f"WARNING -  {payroll}:5: front matter: 'product' is 'payroll'; expected one of ledger, rota, support "
        "(site_config/products.yml)",
        f"WARNING -  {broken}:3: front matter is not valid YAML: expected ',' or ']', but got '<stream end>'",
        f"WARNING -  {links}:{last}: broken link: 'gone.md' (no file gone.md)",
        f"WARNING -  {links}:{last}: broken link: '../quick-starts/gone.md' (no file ../quick-starts/gone.md)",
        f"WARNING -  {links}:{last}: broken link: '../../nowhere/gone.md' (no file ../../nowhere/gone.md)",
    ]
    assert "kb build: 6 problem(s) that `kb check` reports, published anyway; --strict refuses" in result.output
    assert (tmp_path / "out/site/payroll/help-sheets/payslips/index.html").is_file()

    strict = CliRunner().invoke(main, ["build", "--kb", str(kb), "--out", str(tmp_path / "strict"), "--strict"])
    assert strict.exit_code == 1 and f"{links}:{last}: broken link: 'gone.md'" in strict.output
    assert not (tmp_path / "strict").exists()
