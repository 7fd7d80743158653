"""``planner serve``: the live exercise, a local web page where each ally's team moves and
the division of labor re-optimises (an edge like the command line: it reads results and
changes the model only through the warm re-solve interface the sweeps use)."""
