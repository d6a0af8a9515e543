"""A news monitor for the Russia–Ukraine peace talks."""

__version__ = "0.1.0"
