// Package httpserve runs an HTTP handler until its context ends, with
// timeouts for slow clients and a graceful shutdown: the servers of the
// project (search, model) share it.
package httpserve

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"
)

// Timeouts bound a client's request; zero means no limit.
type Timeouts struct {
	ReadHeader, Read, Write, Idle time.Duration
	// Shutdown is how long requests in flight may take to finish once the
	// context ends.
	Shutdown time.Duration
}

// Serve serves h on ln until ctx is done, then stops accepting, lets the
// requests in flight finish (up to t.Shutdown) and returns nil.
func Serve(ctx context.Context, ln net.Listener, h http.Handler, t Timeouts) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: t.ReadHeader,
		ReadTimeout:       t.Read,
		WriteTimeout:      t.Write,
		IdleTimeout:       t.Idle,
		MaxHeaderBytes:    64 << 10,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), t.Shutdown)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
