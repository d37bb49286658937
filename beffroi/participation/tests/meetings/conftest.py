"""Shared fixtures of the meetings tests: a process in its workshops phase."""

from __future__ import annotations

import pytest

from beffroi.participation.models import PhaseType, Process
from beffroi.participation.tests.factories import make_process
from beffroi.testing import Cast


@pytest.fixture
def process(cast: Cast) -> Process:
    return make_process(
        cast.org, slug="square", title="Réaménager le square", phases=(PhaseType.WORKSHOPS,)
    )
