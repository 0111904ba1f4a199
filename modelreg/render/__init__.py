"""Reporters: result objects to text, tables, JSON, Markdown, Mermaid, DOT, CSV, GitHub annotations."""
