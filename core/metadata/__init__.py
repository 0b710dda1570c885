"""Metadata engine: load packs of YAML, validate them, merge overlays, build the registry."""
