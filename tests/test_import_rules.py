"""The import rules of the architecture (scripts/check_imports.py, run by ``make lint``) catch
what they say they catch, and the project holds them."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent


def _checker() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "check_imports", ROOT / "scripts/check_imports.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["check_imports"] = module
    spec.loader.exec_module(module)
    return module


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    packages = {"beffroi", "beffroi/core", "beffroi/alerts", "beffroi/messaging", "beffroi/api"}
    packages |= {"beffroi/alerts/subscriptions", "beffroi/alerts/composer", "beffroi/accounts"}
    for package in packages:
        (tmp_path / package).mkdir(parents=True, exist_ok=True)
        (tmp_path / package / "__init__.py").write_text("")
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    return tmp_path


def test_the_project_holds_its_import_rules() -> None:
    assert _checker().check(ROOT) == []


def test_it_refuses_an_import_of_a_higher_layer(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "beffroi/alerts/models.py": "",
            "beffroi/core/env.py": "def f():\n    from beffroi.alerts.models import X\n",
        },
    )
    [error] = _checker().check(root)
    assert error.startswith("beffroi/core/env.py:2: beffroi.core.env imports beffroi.alerts.models")
    assert "core may not import alerts, a higher layer" in error


def test_it_keeps_messaging_to_core_and_areas_apart(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "beffroi/accounts/models.py": "",
            "beffroi/messaging/sms.py": "from beffroi.accounts.models import User\n",
            "beffroi/alerts/composer/services.py": "",
            "beffroi/alerts/subscriptions/views.py": (
                "from beffroi.alerts.composer import services\n"
            ),
            "beffroi/api/alerts.py": "from beffroi.alerts.composer.services import x\n",
        },
    )
    errors = _checker().check(root)
    assert len(errors) == 2
    assert any("messaging may import only core" in error for error in errors)
    assert any(
        "beffroi.alerts.subscriptions never imports" in error
        and "beffroi.alerts.composer.services" in error
        for error in errors
    )


def test_it_finds_an_import_cycle_even_through_a_function(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "beffroi/alerts/a.py": "from beffroi.alerts import b\n",
            "beffroi/alerts/b.py": "def f():\n    from beffroi.alerts.a import x\n",
        },
    )
    assert _checker().check(root) == [
        "import cycle: beffroi.alerts.a → beffroi.alerts.b → beffroi.alerts.a"
    ]
