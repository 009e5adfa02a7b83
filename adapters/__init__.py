"""Platform adapters: each turns core messages into its platform's format and events into core calls."""
