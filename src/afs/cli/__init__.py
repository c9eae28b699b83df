"""The `afs` command line: one thin module per command group."""
