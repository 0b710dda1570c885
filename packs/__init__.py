"""Packs shipped with Officina: folders of metadata (see docs/packs.md)."""
