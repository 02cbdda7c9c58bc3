"""nicstack: a CloudStack-compatible control plane for guest IP addresses."""

__version__ = "0.1.0"
