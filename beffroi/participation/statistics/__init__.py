"""Agents' statistics of participatory processes: per day, per zone, per age band."""
