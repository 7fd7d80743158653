"""Policy kinds, one module each (``<kind>.py``), found by ``registry``; ``base`` holds what
they share. See docs/development.md, "How to add a policy kind"."""
