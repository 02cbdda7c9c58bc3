"""Pure model and rules of the cloud: no I/O, no framework imports."""
