"""The index artifact: an immutable, checksummed directory of vectors, cases and a manifest."""
