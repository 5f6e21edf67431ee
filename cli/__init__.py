"""The `cited` command line: argument parsing and printing over corpus/, index/, service/ and eval/."""
