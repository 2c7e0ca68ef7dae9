"""Sync: the protocol shared with the server, merge rules, and the client half."""
