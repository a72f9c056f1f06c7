"""dockmend: a self-hosted bot that keeps an organisation's Dockerfiles healthy."""

__version__ = "0.1.0"
