"""Values and the words of the registry: errors, versions, references, names, paths, the typed
documents, escaping. Imports nothing else of modelreg."""
