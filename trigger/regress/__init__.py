"""Emulation regression tests: golden vectors kept beside a project, re-checked bit for bit."""
