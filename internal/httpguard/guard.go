// Package httpguard is the policy every HTTP server of the project puts
// around its handler, so that serve-search, serve-model, the viewer and the
// Tinker server refuse, shed, recover and report the same way:
//
//   - the API key: with Policy.APIKey set, every path but the Public ones
//     needs the key as Policy.KeyScheme presents it (by default
//     "Authorization: Bearer KEY", scheme case-insensitive), compared in
//     constant time; anything else is a 401 with the scheme's
//     WWW-Authenticate challenge;
//   - a bound on requests in flight: beyond Policy.MaxInFlight a request is
//     answered at once with 503 and "Retry-After: 1" (the project's clients
//     retry 5xx with backoff), before its body is read;
//   - a cap on each request body (Policy.MaxBodyBytes): a read past it fails
//     with *http.MaxBytesError, which the server turns into its 413;
//   - a deadline on each request's context (Policy.Timeout);
//   - panic recovery: the stack goes to Policy.Log and the client gets a 500
//     in the server's error shape if nothing was written yet;
//   - metrics in the Prometheus text format (ServeMetrics): requests by
//     route and status, latency histograms, requests in flight and the
//     limit, panics, goroutines and heap bytes.
//
// Memory is bounded by design: at most MaxInFlight requests hold a body of
// at most MaxBodyBytes and whatever the handler allocates for it, which each
// server caps (batch size, top_n, max_tokens × n). So the bound is
// MaxInFlight × (MaxBodyBytes + the handler's per-request cap); a request
// turned away costs a goroutine and its headers (http.Server caps those),
// not its body. Slow clients are the business of the http.Server timeouts
// (internal/httpserve).
//
// Use:
//
//	g := httpguard.New(httpguard.Policy{Name: "search", APIKey: key, Public: []string{"/health"}})
//	mux.HandleFunc("GET /metrics", g.ServeMetrics)
//	httpserve.Serve(ctx, ln, g.Wrap(mux), timeouts)
package httpguard

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Policy configures a Guard. Zero fields take the defaults in brackets.
type Policy struct {
	// Name goes into the metric names: research_<Name>_requests_total.
	Name string
	// APIKey, if set, must come with every request but the Public ones.
	APIKey string
	// KeyScheme says where a request presents the key [Bearer].
	KeyScheme KeyScheme
	// Public paths (exact r.URL.Path) need no key and are outside the
	// in-flight bound: health checks, which must answer under load.
	Public []string
	// Unbounded paths need the key but are outside the in-flight bound:
	// /metrics, which matters most when the server is saturated.
	Unbounded []string
	// MaxInFlight bounds the requests handled at once [64].
	MaxInFlight int
	// MaxBodyBytes caps each request body [1 MiB].
	MaxBodyBytes int64
	// Timeout ends each request's context this long after it starts
	// [no deadline; streaming servers want one of minutes].
	Timeout time.Duration
	// Error writes an error answer in the server's own shape
	// [{"error": msg}].
	Error func(w http.ResponseWriter, status int, msg string)
	// Log receives panics with their stacks [os.Stderr].
	Log io.Writer
}

// Guard applies a Policy; it is safe for concurrent use.
type Guard struct {
	p       Policy
	slots   chan struct{} // one token per request in flight
	metrics *metrics
}

// New returns a Guard for p, with defaults filled in.
func New(p Policy) *Guard {
	if p.MaxInFlight <= 0 {
		p.MaxInFlight = 64
	}
	if p.MaxBodyBytes <= 0 {
		p.MaxBodyBytes = 1 << 20
	}
	if p.KeyScheme.Read == nil {
		p.KeyScheme = Bearer
	}
	if p.Error == nil {
		p.Error = defaultError
	}
	if p.Log == nil {
		p.Log = os.Stderr
	}
	if p.Name == "" {
		p.Name = "http"
	}
	return &Guard{p: p, slots: make(chan struct{}, p.MaxInFlight), metrics: newMetrics(p.Name, p.MaxInFlight)}
}

// Policy returns the policy in force, defaults filled in.
func (g *Guard) Policy() Policy { return g.p }

// Wrap returns next under the policy. If next can name a request's route
// as http.ServeMux does (Handler(*http.Request) (http.Handler, string)),
// metrics are by route pattern; otherwise all requests share route "all".
func (g *Guard) Wrap(next http.Handler) http.Handler {
	router, _ := next.(interface {
		Handler(*http.Request) (http.Handler, string)
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		route := "all"
		if router != nil {
			_, pattern := router.Handler(r)
			route = routeName(pattern)
		}
		defer func() { g.metrics.observe(route, sw.status, time.Since(start)) }()
		defer g.recover(sw, r)

		public := slices.Contains(g.p.Public, r.URL.Path)
		if !public && !g.authorized(r) {
			for _, c := range g.p.KeyScheme.Challenge {
				sw.Header().Add("WWW-Authenticate", c)
			}
			g.p.Error(sw, http.StatusUnauthorized, "missing or wrong API key: "+g.p.KeyScheme.Hint)
			return
		}
		if !public && !slices.Contains(g.p.Unbounded, r.URL.Path) {
			release, ok := g.acquire()
			if !ok {
				sw.Header().Set("Retry-After", "1")
				g.p.Error(sw, http.StatusServiceUnavailable, "server busy: "+strconv.Itoa(g.p.MaxInFlight)+" requests in flight; retry later")
				return
			}
			defer release()
		}
		r.Body = http.MaxBytesReader(sw, r.Body, g.p.MaxBodyBytes)
		if g.p.Timeout > 0 {
			ctx, cancel := context.WithTimeout(r.Context(), g.p.Timeout)
			defer cancel()
			r = r.WithContext(ctx)
		}
		next.ServeHTTP(sw, r)
	})
}

// routeName turns a ServeMux pattern ("POST /search") into a metric label:
// the path alone, so that a route's 405s count with it, and "other" for
// the catch-all and unmatched requests.
func routeName(pattern string) string {
	if _, path, ok := strings.Cut(pattern, " "); ok {
		pattern = path
	}
	if pattern == "" || pattern == "/" {
		return "other"
	}
	return pattern
}

func defaultError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"error": msg})
}
