"""`nicstack-guest`: run inside a VM, it configures the addresses the cloud reserved for the VM's NICs."""
