"""Azure through its SDKs: credentials, managed identities and federated credentials, AKS."""
