"""Writes of the alerts app, one module per area (subscriptions, registry, composer, dispatch,
public). Import from the module: ``from beffroi.alerts.services.dispatch import alert_dispatch``."""
