"""Participatory budgets: the PaBuLib format and the voting rules (pure computation, no models)."""
