"""``wimigrate cleanup``: remove pod identity for the workloads whose verification passed, journaled first.

``observe`` reads (the planned workloads, who uses pod identity cluster-wide, the pod-identity
objects, MIC and NMI, the managed cluster, the verdicts); ``migrator.core.cleanup.plan_cleanup``
decides; ``execute`` makes each change through ``phases.apply``'s journaled steps, so
``wimigrate rollback JOURNAL`` restores what it deleted (``undo``).
"""
