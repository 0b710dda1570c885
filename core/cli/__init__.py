"""The ``officina`` command."""
