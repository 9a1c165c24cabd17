"""One module per ``streammsa`` subcommand: HELP, add_arguments(parser), run(args) -> int."""
