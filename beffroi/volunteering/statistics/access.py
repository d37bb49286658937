"""Who reads the volunteering statistics: the community-life agents, and the crisis cell
(the call-outs' figures are theirs)."""

from __future__ import annotations

from beffroi.volunteering.access import AGENT_ROLES, CRISIS_ROLES

STATISTICS_ROLES: frozenset[str] = AGENT_ROLES | CRISIS_ROLES
