"""Officina: a rule-driven, configurable CRM framework driven by metadata packs."""
