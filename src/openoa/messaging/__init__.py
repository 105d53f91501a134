"""Messaging: LINE message objects (R-MSG-01), their rules (R-MSG-06), and — built on them —
sends and deliveries."""
