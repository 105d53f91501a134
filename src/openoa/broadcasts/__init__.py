"""Broadcasts from the Manager console (R-BRD)."""
