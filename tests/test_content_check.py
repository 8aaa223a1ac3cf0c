"""`kb check` and the front matter schema: every problem named with its file and line."""
from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from bridge.cli import main
from bridge.content.check import check_kb, heading_anchors
from bridge.content.frontmatter import FrontMatterError, schema_problems, split_front_matter

PRODUCTS = {"support", "ledger", "rota"}
SHEET = "support/help-sheets/a.md"
GOOD = """---
title: Resetting a password
summary: How to reset it.
type: help-sheet
product: support
tags: [password]
---

# Resetting a password

## Before you start
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def messages(kb: Path) -> list[str]:
    return [f"{problem.path.name}:{problem.line}: {problem.message}" for problem in check_kb(kb, PRODUCTS)]


def test_a_good_article_has_no_problems(tmp_path: Path) -> None:
    write(tmp_path, SHEET, GOOD)
    assert messages(tmp_path) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("type: help-sheet", "type: how-to"), "a.md:4: front matter: 'type' is 'how-to'; expected one of help-sheet, quick-start"),
        (("product: support", "product: payroll"), "a.md:5: front matter: 'product' is 'payroll'; expected one of"),
        (("tags: [password]", "tags: password"), "a.md:6: front matter: 'tags' must be a list of words"),
        (("summary: How to reset it.", "summary: ''"), "a.md:3: front matter: 'summary' must be non-empty text"),
        (("tags: [password]\n", "tags: [password]\nauthor: me\n"), "a.md:7: front matter: unknown key 'author'"),
        (("title: Resetting a password\n", ""), "a.md:1: front matter: missing required key 'title'"),
    ],
)
def test_each_schema_problem_names_the_line(tmp_path: Path, change: tuple[str, str], expected: str) -> None:
    write(tmp_path, SHEET, GOOD.replace(*change))
    found = messages(tmp_path)
    assert len(found) == 1 and found[0].startswith(expected), found


def test_yaml_syntax_error_reports_its_line() -> None:
    with pytest.raises(FrontMatterError) as caught:
        split_front_matter("---\ntitle: ok\ntags: [a, b\n---\n")
    assert caught.value.line >= 3


def test_article_without_front_matter_misses_every_key(tmp_path: Path) -> None:
    path = write(tmp_path, "a.md", "# Just a heading\n")
    problems = schema_problems(path, split_front_matter(path.read_text()), PRODUCTS)
    assert {problem.message.split("'")[1] for problem in problems} == {"title", "summary", "type", "product", "tags"}


def test_broken_links_and_anchors_are_reported_with_their_line(tmp_path: Path) -> None:
    other = GOOD.replace("Resetting a password", "Other").replace("help-sheet", "quick-start")
    write(tmp_path, "support/quick-starts/b.md", other + "## What's new?\n")
    body = (
        GOOD
        + "See [b](../quick-starts/b.md#whats-new) and [self](#before-you-start).\n"
        + "Gone: [c](../quick-starts/c.md)\n"
        + "Wrong anchor: [b](../quick-starts/b.md#whats-old)\n"
        + "```\n[not a link](nowhere.md)\n```\n"
        + "Outside: [web](https://example.com/x.md) and [home](/tickets/new)\n"
        + "Nothing close: [x](../../zzz.md) and [y](../quick-starts/b.md#zzz)\n"
    )
    write(tmp_path, SHEET, body)
    assert messages(tmp_path) == [
        "a.md:13: broken link: '../quick-starts/c.md' (no file ../quick-starts/c.md); "
        "did you mean '../quick-starts/b.md'?",
        "a.md:14: broken anchor: '../quick-starts/b.md#whats-old' (no heading '#whats-old' in b.md); "
        "did you mean '#whats-new'?",
        "a.md:19: broken link: '../../zzz.md' (no file ../../zzz.md)",
        "a.md:19: broken anchor: '../quick-starts/b.md#zzz' (no heading '#zzz' in b.md); "
        "its headings are #before-you-start, #other, #whats-new",
    ]


@pytest.mark.parametrize(("synonyms", "expected"), [
    ("- [sign in, log in]\n- [refund]\n- [bill, 3]\n", ["synonyms.yml:2: a synonym group must be a list of at least "
                                                      "two words or phrases", "synonyms.yml:3: a synonym group must "
                                                      "be a list of at least two words or phrases"]),
    ("- [sign in, log in\n- [bill, invoice]\n", ["synonyms.yml:2: synonyms are not valid YAML: expected ',' or ']', "
                                                 "but got '['"]),
    ("sign in: log in\n", ["synonyms.yml:1: synonyms must be a list of groups, e.g. `- [sign in, log in, login]`"]),
    ("# none yet\n", []),
])
def test_bad_synonym_groups_are_reported_with_their_line(tmp_path: Path, synonyms: str, expected: list[str]) -> None:
    write(tmp_path, SHEET, GOOD)
    write(tmp_path, "synonyms.yml", synonyms)
    assert messages(tmp_path) == expected


def test_anchors_follow_mkdocs_slugs_with_duplicates() -> None:
    text = "# Title\n## CRITICAL (red)\n## Steps\n## Steps\n## Custom {#my-id}\n"
    assert heading_anchors(text) == {"title", "critical-red", "steps", "steps_1", "my-id"}


def test_kb_check_command_prints_path_line_message_and_exits_1(tmp_path: Path) -> None:
    path = write(tmp_path, SHEET, GOOD.replace("type: help-sheet", "type: guide"))
    result = CliRunner().invoke(main, ["check", "--kb", str(tmp_path)])
    assert result.exit_code == 1
    assert f"{path}:4: front matter: 'type' is 'guide'" in result.output


def test_the_project_kb_passes_the_check() -> None:
    result = CliRunner().invoke(main, ["check"])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(("place", "change", "expected"), [
    ("a.md", None, "a.md:1: article outside kb/<product>/<help-sheets|quick-starts|release-notes>/; "
                   "move it to kb/support/help-sheets/a.md"),
    ("support/a.md", None, "a.md:1: article outside kb/<product>/<help-sheets|quick-starts|release-notes>/; "
                           "move it to kb/support/help-sheets/a.md"),
    ("support/help-sheets/old/a.md", None, "a.md:1: article outside kb/<product>/<help-sheets|quick-starts|release-notes>/; "
                                           "move it to kb/support/help-sheets/a.md"),
    ("payroll/help-sheets/a.md", ("product: support", "product: payroll"),
     "a.md:1: article outside kb/<product>/<help-sheets|quick-starts|release-notes>/ ('payroll' is not a product in "
     "site_config/products.yml)"),
    ("support/guides/a.md", None, "a.md:1: article outside kb/<product>/<help-sheets|quick-starts|release-notes>/; "
                                  "move it to kb/support/help-sheets/a.md"),
    ("ledger/help-sheets/a.md", None, "a.md:5: front matter: 'product' is 'support' but the article is in "
                                      "kb/ledger/; change it to 'ledger' or move the file"),
    ("support/quick-starts/a.md", None, "a.md:4: front matter: 'type' is 'help-sheet' but the article is in "
                                        "quick-starts/; change it to 'quick-start' or move the file"),
    ("rota/index.md", None, "index.md:5: front matter: 'product' is 'support' but the article is in kb/rota/; "
                            "change it to 'rota' or move the file"),
])
def test_an_article_must_live_where_its_product_and_type_say(tmp_path: Path, place: str,
                                                             change: tuple[str, str] | None, expected: str) -> None:
    write(tmp_path, place, GOOD.replace(*change) if change else GOOD)
    assert [m for m in messages(tmp_path) if "expected one of" not in m] == [expected]


def test_landing_pages_may_sit_above_the_articles(tmp_path: Path) -> None:
    write(tmp_path, "index.md", GOOD.replace("Resetting a password", "Help centre"))
    write(tmp_path, "support/index.md", GOOD.replace("Resetting a password", "Getting support"))
    write(tmp_path, "support/help-sheets/index.md", GOOD.replace("Resetting a password", "Help sheets"))
    assert messages(tmp_path) == []


def test_duplicate_titles_name_each_other(tmp_path: Path) -> None:
    write(tmp_path, SHEET, GOOD)
    write(tmp_path, "ledger/help-sheets/b.md", GOOD.replace("support", "ledger").replace("a password", "A  Password"))
    write(tmp_path, "ledger/help-sheets/c.md", GOOD.replace("support", "ledger").replace("a password", "a passcode"))
    assert messages(tmp_path) == [
        "b.md:2: duplicate title 'Resetting A  Password' (also support/help-sheets/a.md:2)",
        "a.md:2: duplicate title 'Resetting a password' (also ledger/help-sheets/b.md:2)",
    ]


def test_a_title_with_a_colon_is_shown_quoted(tmp_path: Path) -> None:
    write(tmp_path, SHEET, GOOD.replace("title: Resetting a password", "title: Passwords: resetting one"))
    assert messages(tmp_path) == ["a.md:2: front matter is not valid YAML: mapping values are not allowed here; "
                                  "a value containing ': ' must be quoted: title: \"Passwords: resetting one\""]
