"""The rules that hold within one snapshot: transitions, requirements and capacity (policy), write-
once, cross-file validation, DVC's committed config."""
