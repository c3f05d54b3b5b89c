"""Channel adapters: each turns its protocol into the core's channel-neutral calls."""
