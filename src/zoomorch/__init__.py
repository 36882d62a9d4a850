"""zoomorch: runs multilingual Zoom webinars end to end."""

__version__ = "0.1.0"
