package main

import (
	"fmt"
	"io"
	"os"
)

// openInput opens the optional positional FILE argument of a subcommand:
// no argument or "-" means standard input (the root command's, which tests
// replace). The returned name is used in
// error messages so that they point at the file a user gave.
func openInput(args []string) (r io.ReadCloser, name string, err error) {
	if len(args) == 0 || args[0] == "-" {
		return io.NopCloser(rootCmd.InOrStdin()), "<stdin>", nil
	}
	f, err := os.Open(args[0])
	if err != nil {
		return nil, "", fmt.Errorf("open input: %w", err)
	}
	return f, args[0], nil
}
