"""docs/architecture.md is the map of the rooms; these tests keep the map and the house in step."""
from __future__ import annotations

import re
import subprocess
import sys

import pytest

from bridge.settings import PROJECT_ROOT

MODEL_RUNTIMES = ("torch", "transformers", "sentence_transformers", "openvino", "tokenizers")


def test_every_room_the_architecture_names_exists() -> None:
    text = (PROJECT_ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    rooms = re.findall(r"^\| `(bridge/[^`]+)` \|", text, re.M)
    assert len(rooms) >= 10, "the rooms table lost its rows"
    missing = [room for room in rooms if not (PROJECT_ROOT / room).exists()]
    assert missing == []


def test_every_top_level_module_is_on_the_map() -> None:
    text = (PROJECT_ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    named = set(re.findall(r"`(bridge/[^`/]+/?)`", text))
    present = {f"bridge/{path.name}" + ("/" if path.is_dir() else "")
               for path in (PROJECT_ROOT / "bridge").iterdir()
               if not path.name.startswith(("_", ".")) and path.name not in ("templates",)
               and (path.suffix == ".py" or (path / "__init__.py").exists() or path.name == "migrations")}
    assert present - named == set()


@pytest.mark.parametrize("command", [["--help"], ["check"], ["tickets", "show", "KB-0000001-0"]])
def test_light_commands_do_not_load_a_model_runtime(command: list[str], tmp_path) -> None:
    """`kb --help`, `kb check` and `kb tickets show` answer without importing the model or its runtime."""
    probe = (
        "import sys\n"
        "from bridge.cli import main\n"
        "try:\n"
        f"    main({command!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        f"print(sorted(name for name in {MODEL_RUNTIMES!r} if name in sys.modules))\n"
    )
    env = {"KB_DATABASE_URL": f"sqlite:///{tmp_path / 'kb.sqlite3'}", "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=PROJECT_ROOT,
                            env=env, timeout=120)
    assert result.stdout.strip().splitlines()[-1] == "[]", result.stderr
