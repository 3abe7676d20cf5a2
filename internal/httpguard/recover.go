package httpguard

import (
	"fmt"
	"net/http"
	"runtime/debug"
)

// recover, deferred around a handler, turns a panic into a logged stack
// and a 500, so that one bad request neither kills the server nor leaves
// its client with a reset connection and no reason.
func (g *Guard) recover(sw *statusWriter, r *http.Request) {
	p := recover()
	if p == nil {
		return
	}
	if p == http.ErrAbortHandler {
		panic(p) // the handler's way to abort a response on purpose
	}
	g.metrics.panics.Add(1)
	fmt.Fprintf(g.p.Log, "httpguard: panic serving %s %s: %v\n%s", r.Method, r.URL.Path, p, debug.Stack())
	if sw.wroteHeader {
		// Part of the answer is out: the client can only be told by
		// cutting it short.
		sw.status = http.StatusInternalServerError
		panic(http.ErrAbortHandler)
	}
	g.p.Error(sw, http.StatusInternalServerError, "internal server error (logged on the server)")
}
