package main

import (
	"context"
	"fmt"
	"log"
	"net"
	"os"
	"time"

	"github.com/spf13/cobra"

	"research/internal/httpserve"
	"research/view"
)

func init() { rootCmd.AddCommand(newViewCmd()) }

func newViewCmd() *cobra.Command {
	var addr, apiKey string
	cmd := &cobra.Command{
		Use:   "view DIR",
		Short: "Watch training and read rollouts in a browser",
		Long: `View serves a read-only web page over the output directory of research
train, research demo or research eval: the config and report, curves of
every metric (updated live while the run trains), the rollouts of each step
grouped by question with rewards and advantages, each trace with its
think / search / result / answer parts, the same question under each
evaluated method, and a search box over the run's index.

It binds 127.0.0.1 by default. --api-key (or RESEARCH_VIEW_API_KEY)
requires "Authorization: Bearer KEY" on every route, or the key as the
password of HTTP Basic authentication, which a browser asks for.`,
		Example: `  research view runs/demo
  research view runs/world --addr 127.0.0.1:9000`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if apiKey == "" {
				apiKey = os.Getenv("RESEARCH_VIEW_API_KEY")
			}
			run, err := view.Open(args[0])
			if err != nil {
				return err
			}
			defer run.Close()
			srv, err := view.New(run, view.Options{APIKey: apiKey, Log: log.New(os.Stderr, "", log.LstdFlags)})
			if err != nil {
				return err
			}
			t := httpserve.Timeouts{ReadHeader: 10 * time.Second, Read: 30 * time.Second, Write: 60 * time.Second,
				Idle: 2 * time.Minute, Shutdown: 5 * time.Second}
			return listenAndServe(cmd, "view", addr,
				func(a net.Addr) string { return fmt.Sprintf("%s run %s on http://%s", run.Kind, run.Dir, a) },
				func(ctx context.Context, ln net.Listener) error { return httpserve.Serve(ctx, ln, srv, t) })
		},
	}
	cmd.Flags().StringVar(&addr, "addr", "127.0.0.1:8080", "address to listen on")
	cmd.Flags().StringVar(&apiKey, "api-key", "", "require this key (default $RESEARCH_VIEW_API_KEY)")
	return cmd
}
