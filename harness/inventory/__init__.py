"""The source inventory: SOURCES.md (and JSON) generated from the registry and each source's code."""
