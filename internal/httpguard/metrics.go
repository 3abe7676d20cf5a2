package httpguard

import (
	"cmp"
	"fmt"
	"io"
	"net/http"
	rtmetrics "runtime/metrics"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// latencyBuckets are the upper bounds (seconds) of the latency histogram:
// from a cached search to a long generation.
var latencyBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300}

// metrics counts requests by route and status, keeps a latency histogram
// per route and the gauges; routes are a server's fixed patterns, so the
// label sets stay small whatever clients send.
type metrics struct {
	prefix   string
	limit    int
	inFlight atomic.Int64
	panics   atomic.Uint64

	mu       sync.Mutex
	requests map[[2]string]uint64 // {route, status} -> count
	hist     map[string]*histogram
}

type histogram struct {
	counts []uint64 // per bucket, made cumulative when written
	sum    float64
	n      uint64
}

func newMetrics(name string, limit int) *metrics {
	return &metrics{prefix: "research_" + name, limit: limit, requests: map[[2]string]uint64{}, hist: map[string]*histogram{}}
}

func (m *metrics) observe(route string, status int, d time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.requests[[2]string{route, strconv.Itoa(status)}]++
	h := m.hist[route]
	if h == nil {
		h = &histogram{counts: make([]uint64, len(latencyBuckets))}
		m.hist[route] = h
	}
	s := d.Seconds()
	if i, _ := slices.BinarySearch(latencyBuckets, s); i < len(latencyBuckets) {
		h.counts[i]++
	}
	h.sum += s
	h.n++
}

// ServeMetrics answers with the guard's metrics in the Prometheus text
// format; mount it where the server wants it (GET /metrics).
func (g *Guard) ServeMetrics(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	g.WriteMetrics(w)
}

// WriteMetrics writes the guard's metrics, then the Go runtime's gauges,
// to w; a server with metrics of its own writes them after.
func (g *Guard) WriteMetrics(w io.Writer) {
	m := g.metrics
	p := m.prefix
	m.mu.Lock()
	fmt.Fprintf(w, "# HELP %s_requests_total HTTP requests by route and status code.\n# TYPE %s_requests_total counter\n", p, p)
	keys := make([][2]string, 0, len(m.requests))
	for k := range m.requests {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b [2]string) int {
		return cmp.Or(cmp.Compare(a[0], b[0]), cmp.Compare(a[1], b[1]))
	})
	for _, k := range keys {
		fmt.Fprintf(w, "%s_requests_total{route=%q,code=%q} %d\n", p, k[0], k[1], m.requests[k])
	}
	fmt.Fprintf(w, "# HELP %s_request_duration_seconds Request latency by route.\n# TYPE %s_request_duration_seconds histogram\n", p, p)
	routes := make([]string, 0, len(m.hist))
	for r := range m.hist {
		routes = append(routes, r)
	}
	slices.Sort(routes)
	for _, r := range routes {
		h := m.hist[r]
		var cum uint64
		for i, ub := range latencyBuckets {
			cum += h.counts[i]
			fmt.Fprintf(w, "%s_request_duration_seconds_bucket{route=%q,le=\"%g\"} %d\n", p, r, ub, cum)
		}
		fmt.Fprintf(w, "%s_request_duration_seconds_bucket{route=%q,le=\"+Inf\"} %d\n", p, r, h.n)
		fmt.Fprintf(w, "%s_request_duration_seconds_sum{route=%q} %g\n", p, r, h.sum)
		fmt.Fprintf(w, "%s_request_duration_seconds_count{route=%q} %d\n", p, r, h.n)
	}
	m.mu.Unlock()
	gauge(w, p+"_in_flight_requests", "Requests being handled now (health checks and metrics not counted).", float64(m.inFlight.Load()))
	gauge(w, p+"_in_flight_limit", "Most requests handled at once; more are answered 503.", float64(m.limit))
	fmt.Fprintf(w, "# HELP %s_panics_total Handler panics recovered.\n# TYPE %s_panics_total counter\n%s_panics_total %d\n", p, p, p, m.panics.Load())
	writeRuntime(w)
}

// runtimeSamples are the Go runtime's gauges, read without stopping the
// world (runtime.ReadMemStats would).
var runtimeSamples = []struct{ name, help, key string }{
	{"go_goroutines", "Goroutines that currently exist.", "/sched/goroutines:goroutines"},
	{"go_memstats_heap_alloc_bytes", "Bytes of allocated heap objects.", "/memory/classes/heap/objects:bytes"},
	{"go_memstats_sys_bytes", "Bytes of memory obtained from the OS.", "/memory/classes/total:bytes"},
}

func writeRuntime(w io.Writer) {
	s := make([]rtmetrics.Sample, len(runtimeSamples))
	for i, r := range runtimeSamples {
		s[i].Name = r.key
	}
	rtmetrics.Read(s)
	for i, r := range runtimeSamples {
		if s[i].Value.Kind() == rtmetrics.KindUint64 {
			gauge(w, r.name, r.help, float64(s[i].Value.Uint64()))
		}
	}
}

func gauge(w io.Writer, name, help string, v float64) {
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s gauge\n%s %g\n", name, help, name, name, v)
}
