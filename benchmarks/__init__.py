"""Benchmarks of the planner against the peers a user would reach for (see README)."""
