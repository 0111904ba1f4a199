"""The edges: every subprocess, Git (plumbing and writes), DVC, GitHub's REST API."""
