"""Between aiohttp or Socket Mode and the features: the Bolt app, its HTTP route, health, the
sign-in routes, the access log, and how a listener's work after its ack is run."""
