"""The lab: an emulated AKS cluster (Kubernetes API), Azure Resource Manager, Entra token
endpoint and OIDC issuer, served over HTTPS on 127.0.0.1 for tests and rehearsals.

The real ``kubernetes`` and Azure SDK clients talk to it unchanged; only the endpoint, the CA
and the credential differ. Start one with :class:`migrator.lab.lab.Lab` or ``wimigrate lab up``.
"""
