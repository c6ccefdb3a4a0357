"""Tenants GraphQL, one module per use case (paired by name with service/)."""
