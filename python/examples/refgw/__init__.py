"""The Python reference gateway: a small stand-in for Hermes that speaks the handoff protocol (see ../gateway.py)."""
