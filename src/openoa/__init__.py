"""OpenOA: a self-hosted official-account platform that speaks the LINE Messaging API."""

__version__ = "0.1.0"
