"""HR roster upload: preview what a CSV would change, then confirm."""
