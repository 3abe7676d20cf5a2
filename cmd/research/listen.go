package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

// listenAndServe listens on addr, prints what banner says with the bound
// address, and runs serve until SIGINT or SIGTERM, which shut the server
// down gracefully: for a server a signal is the normal end, so it
// returns nil then. name prefixes its messages and errors.
func listenAndServe(cmd *cobra.Command, name, addr string, banner func(net.Addr) string,
	serve func(context.Context, net.Listener) error) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	fmt.Fprintf(os.Stderr, "%s: %s\n", name, banner(ln.Addr()))
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := serve(ctx, ln); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	fmt.Fprintf(os.Stderr, "%s: shut down\n", name)
	return nil
}
