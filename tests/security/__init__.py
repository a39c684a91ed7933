"""Probe tests of SECURITY.md, one module per probe."""
