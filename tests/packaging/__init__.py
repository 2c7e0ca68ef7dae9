"""Tests of packaging/: the spec, launcher, installers and the self-test they run."""
