"""Fixtures for the Discord adapter tests: a fake Discord (REST + gateway) on loopback."""
