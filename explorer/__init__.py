"""Interactive explorer for the JourneyDB and Visual Genome datasets."""

__version__ = "0.1.0"
