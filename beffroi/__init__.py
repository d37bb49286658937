"""Beffroi: a commune's platform to warn residents and call them to assembly."""

__version__ = "0.1.0"
