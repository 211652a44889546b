"""The Azure half of the lab: Azure Resource Manager (user-assigned identities, their federated
identity credentials, AKS managed clusters) and the Entra token endpoint, emulated closely
enough that azure-mgmt-msi, azure-mgmt-containerservice and azure-identity talk to them
unchanged. :class:`migrator.lab.azure.cloud.AzureCloud` composes the pieces."""
