"""Printed documents (journey printouts, visit packs, referrer letters) from plain data."""
