"""The durable job queue's worker: any server claims any due job under a lease and runs it."""
