"""The CloudStack wire: authentication, command table, parameters, envelopes, jobs, views."""
