"""HR dashboard: counts per requirement, the chart by department, the people table."""
