"""Alliance division-of-labor planner: a linear program for who does what in a common defense."""

__version__ = "0.1.0"
