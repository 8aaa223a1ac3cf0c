"""A release note is mailed once, by the first build that publishes it, to the nominated contacts whose plan covers its product."""
from __future__ import annotations

import shutil
import threading
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from bridge.accounts.models import Contact, Organisation
from bridge.cli import main
from bridge.content.check import check_kb
from bridge.release_notes.announce import RELEASE_NOTE, announce
from bridge.release_notes.manifest import PublishedNote, write_manifest
from bridge.settings import PROJECT_ROOT
from tests.mailin.conftest import Desk

NOTE = PROJECT_ROOT / "kb" / "ledger" / "release-notes" / "ledger-december-2026.md"


def add_other_customers(desk: Desk) -> None:
    """Beta's plan covers rota only; Carl at Acme is not nominated."""
    with desk.services.sessions()() as session:
        acme = session.scalars(select(Organisation).where(Organisation.key == "acme")).one()
        beta = Organisation(key="beta", name="Beta plc", products=["rota"], paid_until=date(2099, 1, 1),
                            out_of_hours_cover=False)
        session.add(beta)
        session.flush()
        session.add_all([Contact(email="carl@acme.example", name="Carl", organisation_id=acme.id, nominated=False,
                                 products=["ledger"]),
                         Contact(email="dan@beta.example", name="Dan", organisation_id=beta.id, nominated=True,
                                 products=["rota"])])
        session.commit()


def release_mail_recipients(desk: Desk) -> list[str]:
    return sorted(row.recipient for row in desk.outbox() if row.kind == RELEASE_NOTE)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_release_note_is_mailed_once_across_two_builds(desk: Desk, kb_copy: Path, tmp_path: Path) -> None:
    add_other_customers(desk)
    out = tmp_path / "published"
    env = {**desk.env, "KB_BUILD_DIR": str(out)}

    first = CliRunner().invoke(main, ["build", "--kb", str(kb_copy), "--out", str(out)], env=env)
    second = CliRunner().invoke(main, ["build", "--kb", str(kb_copy)], env=env)

    assert first.exit_code == 0, first.output
    assert "Release note ledger/release-notes/ledger-december-2026.md mailed to 2 nominated contact(s)" in first.output
    assert second.exit_code == 0 and "Release note" not in second.output
    assert release_mail_recipients(desk) == ["ada@acme.example", "bob@acme.example"]  # not Carl, not Beta's Dan
    sent = desk.send_mail()
    assert len(sent) == 2
    text = sent[0].get_body(("plain",)).get_content()
    assert sent[0]["Subject"] == "Ledger release notes: Ledger release notes, December 2026"
    assert "A dashboard tile for money owed to you" in text  # the summary
    assert "https://help.example.com/ledger/release-notes/ledger-december-2026/" in text


def test_two_builds_announcing_at_once_send_it_once(desk: Desk, tmp_path: Path) -> None:
    site = tmp_path / "site"
    write_manifest(site, [PublishedNote(path="ledger/release-notes/x.md", product="ledger", title="Ledger 9",
                                        summary="Faster.", url="ledger/release-notes/x/")])
    start = threading.Barrier(2)
    counts: list[int] = []

    def build() -> None:
        start.wait()
        done = announce(desk.services.sessions(), site, sender="support@example.com", site_url="https://h.example",
                        product_names={"ledger": "Ledger"}, now=datetime.now(UTC))
        counts.append(len(done))

    builds = [threading.Thread(target=build) for _ in range(2)]
    for thread in builds:
        thread.start()
    for thread in builds:
        thread.join(timeout=60)

    assert sorted(counts) == [0, 1]
    assert release_mail_recipients(desk) == ["ada@acme.example", "bob@acme.example"]


def test_kb_check_holds_a_release_note_to_its_folder(tmp_path: Path) -> None:
    kb = tmp_path / "kb"
    (kb / "ledger" / "help-sheets").mkdir(parents=True)
    shutil.copy(NOTE, kb / "ledger" / "help-sheets" / NOTE.name)
    problems = [str(problem) for problem in check_kb(kb, {"ledger", "support"})]
    assert any("'type' is 'release-note' but the article is in help-sheets/" in problem for problem in problems), problems
