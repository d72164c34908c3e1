"""HR policy authoring: drafts, preview, diff against the current version, publish."""
