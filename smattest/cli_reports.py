"""``flask smattest report ...``: status and evidence exports as CSV."""
