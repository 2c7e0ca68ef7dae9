"""Entities, validation and rules of social prescribing: pure Python, no Qt, no SQL, no I/O."""
