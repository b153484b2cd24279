"""The subcommands of the `jiaokan` command, one module each (see `jiaokan.cli`)."""
