"""The README documents every configuration variable that settings.py reads."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_it_documents_every_environment_variable() -> None:
    settings_source = (ROOT / "beffroi" / "settings.py").read_text(encoding="utf-8")
    read = set(re.findall(r'env_\w+\(\s*"([A-Z][A-Z0-9_]*)"', settings_source))
    read |= set(re.findall(r'parse_\w+_url\(\s*"([A-Z][A-Z0-9_]*)"', settings_source))
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `([A-Z][A-Z0-9_]*)` \|", readme, flags=re.MULTILINE))
    assert read, "no variable found in settings.py"
    assert sorted(read - documented) == []


def test_it_shows_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make run" in readme
    assert "make test" in readme


def test_it_lists_the_demo_logins_that_make_run_prints() -> None:
    from beffroi.demo.constants import TOTP_SECRET_BASE32, demo_logins

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for login in demo_logins():
        assert f"| `{login.email}` | `{login.password}` |" in readme
    assert TOTP_SECRET_BASE32 in readme
