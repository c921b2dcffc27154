"""The control plane: HTTP API, services, store, scheduler, serving and CLI."""

__version__ = "0.1.0"
