"""Facts from Azure: the AKS managed cluster and the user-assigned identities the inventory names."""
