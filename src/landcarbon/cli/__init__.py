"""The ``landcarbon`` command: one small module per subcommand."""
