package server

import (
	"context"
	"net"
	"net/http"
	"time"

	"research/internal/httpserve"
)

// timeouts for slow clients of the search server.
var timeouts = httpserve.Timeouts{
	ReadHeader: 10 * time.Second,
	Read:       30 * time.Second,
	Write:      90 * time.Second,
	Idle:       120 * time.Second,
	Shutdown:   15 * time.Second,
}

// Serve serves h on ln until ctx is done, then shuts down gracefully:
// it stops accepting, lets requests in flight finish (up to 15 s) and
// returns nil.
func Serve(ctx context.Context, ln net.Listener, h http.Handler) error {
	return httpserve.Serve(ctx, ln, h, timeouts)
}
