"""``wimigrate verify``: observe each migrated workload, check it (``core.verification``), journal the verdicts."""
