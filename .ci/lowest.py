"""Print pip constraints pinning every runtime dependency at the lowest version it allows.

The lower bounds in pyproject.toml are claims ("works with pandas 2.1.0"). `.ci/run` installs
exactly those versions in a second environment and runs a smoke check there, so a claim
that stops being true fails CI rather than a user's install. Each lower bound must name a
release that exists (pip refuses the constraint otherwise), e.g. `highspy>=1.7.1`.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?\s*(.*)$")


def floor(requirement: str) -> str:
    """'pandas>=2.1.0,<4' -> 'pandas==2.1.0'; a requirement without a floor is an error:
    every dependency must say the oldest version it is known to work with."""
    match = REQUIREMENT.match(requirement)
    found = re.search(r">=\s*([0-9][0-9a-z.]*)", match.group(2)) if match else None
    if not match or not found:
        raise SystemExit(f"pyproject.toml: dependency '{requirement}' has no lower bound")
    return f"{match.group(1)}=={found.group(1)}"


def main() -> None:
    path = Path(sys.argv[1] if len(sys.argv) > 1 else "pyproject.toml")
    project = tomllib.loads(path.read_text(encoding="utf-8"))["project"]
    print("\n".join(floor(r) for r in project["dependencies"]))


if __name__ == "__main__":
    main()
