"""``flask smattest roster ...``: import the staff roster from a CSV file or the host."""
