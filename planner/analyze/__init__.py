"""Alliance analytics beyond burden tables: sweeps of many solves over one mission.

resilience (N-1 of allies), fairness (coalition values, Shapley, nucleolus, core,
Olson-Zeckhauser), pareto (trade-off fronts) and montecarlo (readiness uncertainty). Each
runs on ``planner.analyze.sweep`` and returns an ``Analysis`` (``planner.analyze.results``).
"""
