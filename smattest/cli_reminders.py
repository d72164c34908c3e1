"""``flask smattest reminders ...`` and ``flask smattest scheduler``."""
