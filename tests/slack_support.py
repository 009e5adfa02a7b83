"""Fixtures for the Slack adapter tests: a fake Slack Web API and Socket Mode server on loopback."""
