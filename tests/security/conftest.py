"""The probes of SECURITY.md run on the demo round, like the vetting tests: reuse their fixtures."""

from tests.vetting.conftest import admin, admin_client, store_demo, test_config  # noqa: F401
