"""Tenants use cases, one module each (paired by name with schema/)."""
