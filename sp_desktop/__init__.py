"""SP Desktop: offline-first social prescribing for link workers."""

__version__ = "0.1.0"
