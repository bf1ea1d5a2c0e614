"""The HTTP service's routers, one per resource (FastAPI's "bigger applications" layout)."""
