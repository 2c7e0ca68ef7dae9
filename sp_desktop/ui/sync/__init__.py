"""Office sync in the app: registration, "Sync now", automatic sync, status and conflicts."""
