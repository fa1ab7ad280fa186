"""The hand-written specs, shipped as package data."""
