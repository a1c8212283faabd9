"""Frontline: customer support and service recovery for service providers."""
