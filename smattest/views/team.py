"""A manager's view: the people table for their direct reports only."""
