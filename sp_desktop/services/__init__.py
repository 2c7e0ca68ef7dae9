"""Use cases the screens, tests and scripts call: Qt-free, each write one transaction."""
