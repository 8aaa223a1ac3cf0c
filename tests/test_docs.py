"""The README is the operator's manual: it must list every KB_ setting exactly as declared."""
from __future__ import annotations

import re

from bridge.settings import PROJECT_ROOT, SETTINGS, settings_table


def test_readme_settings_table_matches_the_declared_settings() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- settings:start -->\n(.*?)\n<!-- settings:end -->", readme, re.S)
    assert block is not None, "README.md lost its settings markers"
    assert block.group(1).strip() == settings_table(), "regenerate with: python -c 'from bridge.settings import settings_table; print(settings_table())'"


def test_every_setting_is_named_in_kb_help() -> None:
    from click.testing import CliRunner

    from bridge.cli import main

    output = CliRunner().invoke(main, ["--help"]).output
    assert all(setting.name in output for setting in SETTINGS)
