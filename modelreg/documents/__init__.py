"""A registry's files as documents: the safe YAML loader, DVC pointers, schemas, the tree of a commit
or the work tree, and the snapshot of all of it."""
