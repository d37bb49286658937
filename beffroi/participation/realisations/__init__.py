"""Realisations: the winning projects of participatory budgets followed to delivery."""
