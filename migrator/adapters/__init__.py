"""Adapters: the only modules that import the kubernetes and Azure SDKs."""
