"""The vendor-neutral engine: specs, routing, validation, state, the ASGI app."""
