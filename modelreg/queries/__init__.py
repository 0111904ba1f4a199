"""Questions over a registry's documents: the catalog (by reference), lineage, comparison, what a
change does."""
