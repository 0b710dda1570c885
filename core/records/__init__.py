"""The records service: the one way in and out of the data."""
