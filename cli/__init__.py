"""The `scicat` command line: one entry point for every process and tool."""
