"""The round record (选拔工作档案): reading, computing, storing and the `round` commands.

This subpackage composes the rules of all four domain packages, so it stands above them:
only the app factory and the CLI import it, never `selection`'s own core modules.
"""
