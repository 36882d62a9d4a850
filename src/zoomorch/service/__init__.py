"""The service: the FastAPI app (Zoom webhooks, the JSON API, the cue board) over the live
state, assembled by :mod:`zoomorch.runtime`."""

# The port `zoomorch serve` and `board-link` default to (here, so the CLI need not load FastAPI).
DEFAULT_PORT = 8400
