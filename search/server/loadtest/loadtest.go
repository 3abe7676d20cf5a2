// Package loadtest drives a search server with many concurrent clients
// sending a mix of good and bad requests, and reports latency percentiles,
// server errors and dropped connections. The server must answer every bad
// request with its 4xx and never with a 5xx.
package loadtest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// Options configure Run.
type Options struct {
	BaseURL  string
	Clients  int           // concurrent clients (default 64)
	Duration time.Duration // how long to run (default 60 s)
	// Queries are the good queries to draw from.
	Queries []string
	// MaxBodyBytes is the server's body limit, used to build an oversized
	// request just above it (default 1 MiB).
	MaxBodyBytes int64
	APIKey       string
}

// Report summarizes a run.
type Report struct {
	Requests   int
	ByStatus   map[int]int
	ServerErrs int // 5xx answers
	Dropped    int // transport errors: refused, reset or timed-out connections
	Unexpected int // answers whose status differs from the expected one
	FirstIssue string
	P50, P99   time.Duration
	Max        time.Duration
	Elapsed    time.Duration
}

// String formats the report on one line.
func (r Report) String() string {
	return fmt.Sprintf("%d requests in %.1fs (%.0f/s): p50 %s, p99 %s, max %s; 5xx %d, dropped %d, unexpected %d; by status %v",
		r.Requests, r.Elapsed.Seconds(), float64(r.Requests)/r.Elapsed.Seconds(),
		r.P50.Round(time.Microsecond), r.P99.Round(time.Microsecond), r.Max.Round(time.Microsecond),
		r.ServerErrs, r.Dropped, r.Unexpected, r.ByStatus)
}

// request is one request of the mix and the status it must get.
type request struct {
	method, path, body string
	want               int
}

// mix returns a request drawn from the mix: about two thirds good
// requests over every route, one third bad ones.
func mix(rng *rand.Rand, o *Options) request {
	q := func() string { return o.Queries[rng.IntN(len(o.Queries))] }
	quoted := func(s string) string { return fmt.Sprintf("%q", s) }
	batch := func(n int) string {
		qs := make([]string, n)
		for i := range qs {
			qs[i] = quoted(q())
		}
		return strings.Join(qs, ",")
	}
	switch rng.IntN(15) {
	case 0, 1, 2:
		return request{"POST", "/search", fmt.Sprintf(`{"query": %s, "top_n": 5, "return_score": %t}`, quoted(q()), rng.IntN(2) == 0), 200}
	case 3, 4:
		return request{"POST", "/batch_search", fmt.Sprintf(`{"query": [%s], "top_n": 5, "return_score": true}`, batch(1+rng.IntN(16))), 200}
	case 5, 6:
		return request{"POST", "/retrieve", fmt.Sprintf(`{"queries": [%s], "topk": 3, "return_scores": %t}`, batch(1+rng.IntN(16)), rng.IntN(2) == 0), 200}
	case 7, 8:
		return request{"GET", "/health", "", 200}
	case 9:
		return request{"POST", "/search", `{"query": "`, 422}
	case 10:
		return request{"POST", "/search", `{"query": "  "}`, 400}
	case 11:
		return request{"POST", "/retrieve", `{"queries": ["x"], "topk": -1}`, 422}
	case 12:
		return request{"POST", "/search", `{"query": "` + strings.Repeat("x", int(o.MaxBodyBytes)) + `"}`, 413}
	case 13:
		return request{"GET", "/batch_search", "", 405}
	}
	return request{"POST", "/nope", "{}", 404}
}

// Run drives the server for the duration and reports.
func Run(ctx context.Context, o Options) (Report, error) {
	if o.Clients <= 0 {
		o.Clients = 64
	}
	if o.Duration <= 0 {
		o.Duration = 60 * time.Second
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = 1 << 20
	}
	if len(o.Queries) == 0 {
		return Report{}, fmt.Errorf("loadtest: no queries")
	}
	hc := &http.Client{
		Timeout:   30 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: o.Clients, MaxConnsPerHost: o.Clients},
	}
	defer hc.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(ctx, o.Duration)
	defer cancel()

	var mu sync.Mutex
	rep := Report{ByStatus: map[int]int{}}
	var lat []time.Duration
	issue := func(format string, args ...any) {
		if rep.FirstIssue == "" {
			rep.FirstIssue = fmt.Sprintf(format, args...)
		}
	}
	start := time.Now()
	var wg sync.WaitGroup
	for c := range o.Clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(c), 42))
			var mine []time.Duration
			for ctx.Err() == nil {
				r := mix(rng, &o)
				t0 := time.Now()
				status, err := send(ctx, hc, o, r)
				d := time.Since(t0)
				if ctx.Err() != nil {
					break // cut off by the end of the run, not a server failure
				}
				mine = append(mine, d)
				mu.Lock()
				rep.Requests++
				switch {
				case err != nil:
					rep.Dropped++
					issue("%s %s: %v", r.method, r.path, err)
				default:
					rep.ByStatus[status]++
					if status >= 500 {
						rep.ServerErrs++
					}
					if status != r.want {
						rep.Unexpected++
						issue("%s %s %.80q: status %d, want %d", r.method, r.path, r.body, status, r.want)
					}
				}
				mu.Unlock()
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	rep.Elapsed = time.Since(start)
	if len(lat) > 0 {
		slices.Sort(lat)
		rep.P50 = lat[len(lat)/2]
		rep.P99 = lat[len(lat)*99/100]
		rep.Max = lat[len(lat)-1]
	}
	return rep, nil
}

// send sends one request and reads the whole answer.
func send(ctx context.Context, hc *http.Client, o Options, r request) (int, error) {
	req, err := http.NewRequestWithContext(ctx, r.method, strings.TrimRight(o.BaseURL, "/")+r.path, bytes.NewReader([]byte(r.body)))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	if o.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+o.APIKey)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return 0, err
	}
	return resp.StatusCode, nil
}
