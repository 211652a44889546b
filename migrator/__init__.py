"""wimigrate: migrate AKS workloads from aad-pod-identity to Azure Workload Identity."""

__version__ = "0.1.0"
