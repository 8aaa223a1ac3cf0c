"""A symbolic link never publishes what it points to: `kb check` names it, `kb build` refuses, the server will not follow it."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from mkdocs.exceptions import Abort

from bridge.app import create_app
from bridge.cli import main
from bridge.site_build import build_site

SECRET = "TOP SECRET of the build machine"


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder beside the content, holding what must never be published."""
    folder = tmp_path / "outside"
    (folder / "private").mkdir(parents=True)
    for name in ("secret.txt", "secret.md", "private/keys.txt"):
        (folder / name).write_text(f"---\ntitle: x\n---\n{SECRET}\n")
    return folder


@pytest.fixture
def planted(kb_copy: Path, outside: Path) -> dict[str, Path]:
    """Links of every kind in a copy of kb/: to an outside file, Markdown, folder, a missing file, a relative escape."""
    links = {
        "ledger/notes.txt": outside / "secret.txt",
        "ledger/help-sheets/leaked.md": outside / "secret.md",
        "ledger/private": outside / "private",
        "support/missing.pdf": outside / "not-there.pdf",
        "relative-escape.txt": Path("..") / "outside" / "secret.txt",
    }
    for name, target in links.items():
        (kb_copy / name).symlink_to(target)
    return {name: kb_copy / name for name in links}


def test_kb_check_names_every_link_that_leaves_the_content(kb_copy: Path, planted: dict[str, Path]) -> None:
    inside = kb_copy / "ledger" / "same-sheet.md"
    inside.symlink_to(next((kb_copy / "ledger" / "help-sheets").glob("bank-feed*.md")))
    result = CliRunner().invoke(main, ["check", "--kb", str(kb_copy)])
    assert result.exit_code == 1
    reported = [line for line in result.output.splitlines() if "leaves the content folder" in line]
    assert sorted(line.split(":")[0] for line in reported) == sorted(str(path) for path in planted.values())
    assert all(os.readlink(path) in result.output for path in planted.values()), "each names where it points"
    assert not any(str(inside) in line for line in reported), "a link inside the content does not leave it"
    assert SECRET not in result.output


@pytest.mark.parametrize("strict", [True, False])
def test_a_build_refuses_before_publishing_anything(kb_copy: Path, planted: dict[str, Path], tmp_path: Path,
                                                    strict: bool) -> None:
    out = tmp_path / "out"
    with pytest.raises(Abort) as refused:
        build_site(kb_copy, out, strict=strict)
    assert all(str(path) in str(refused.value) for path in planted.values())
    assert not (out / "site").exists()
    assert not any(SECRET in path.read_text(errors="replace") for path in out.rglob("*") if path.is_file())


def test_kb_build_says_why_it_refused(kb_copy: Path, outside: Path, tmp_path: Path) -> None:
    (kb_copy / "hostname").symlink_to(outside / "secret.txt")
    result = CliRunner().invoke(main, ["build", "--kb", str(kb_copy), "--out", str(tmp_path / "out"), "--lenient"])
    assert result.exit_code == 1
    assert "kb build failed" in result.output and f"{kb_copy / 'hostname'}:1: symbolic link to" in result.output


@pytest.fixture
def site_client(tmp_path: Path, outside: Path):
    """The bridge serving a site folder into which links were put after the build."""
    site = tmp_path / "build" / "site"
    (site / "guide").mkdir(parents=True)
    (site / "guide" / "index.html").write_text("<title>Guide</title>the guide")
    (site / "leak.txt").symlink_to(outside / "secret.txt")
    (site / "leakdir").symlink_to(outside / "private")
    (site / "guide" / "up.txt").symlink_to(Path("..") / ".." / ".." / "outside" / "secret.txt")
    (site / "copy-of-guide.html").symlink_to(site / "guide" / "index.html")
    (site / "fifo").mkdir()
    os.mkfifo(site / "fifo" / "index.html")
    app = create_app({"KB_BUILD_DIR": str(tmp_path / "build"), "KB_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"})
    return app.test_client()


@pytest.mark.parametrize("path", ["/leak.txt", "/leakdir/keys.txt", "/leakdir/", "/leakdir", "/guide/up.txt", "/fifo/"])
def test_the_server_follows_no_link_out_of_the_site(site_client, path: str) -> None:
    with site_client.get(path) as response:
        assert response.status_code == 404
        assert SECRET not in response.get_data(as_text=True)


def test_the_server_still_serves_the_sites_own_files(site_client) -> None:
    with site_client.get("/guide/") as page:
        assert page.status_code == 200 and b"the guide" in page.data
    with site_client.get("/copy-of-guide.html") as linked:
        assert linked.status_code == 200 and b"the guide" in linked.data, "a link that stays inside the site is served"
