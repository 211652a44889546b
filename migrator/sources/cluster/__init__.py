"""Reading the live cluster into the same inventory the manifests give (through ``migrator.ports.KubePort``)."""
