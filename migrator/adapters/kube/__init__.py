"""Kubernetes through the official client: connection, one small request API, error classes."""
