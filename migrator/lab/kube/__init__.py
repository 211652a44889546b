"""The emulated Kubernetes API server: store, admission (the workload identity webhook),
controllers and the HTTP routes kubectl and the Python client use."""
