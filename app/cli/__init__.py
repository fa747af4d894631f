"""Command-line commands; each module has a `run(...) -> int` returning the exit code."""
