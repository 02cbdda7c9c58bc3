"""Test support: a signed CloudStack client, throwaway databases, world builders."""
