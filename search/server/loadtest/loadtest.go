// Package loadtest drives a server with many concurrent clients sending a
// mix of good and bad requests, and reports the load held, latency
// percentiles, peak RSS, server errors and dropped connections. The server
// must answer every bad request with its 4xx and never with a 5xx but one:
// a 503 with Retry-After, the shared policy's answer beyond its bound on
// requests in flight, is counted as shed load, not as a failure; so is a
// 429 with Retry-After, the Tinker server's answer beyond its bound on
// queued jobs.
//
// The default mix is the search server's; Options.Mix gives another
// server's (bench/model, bench/view and bench/tinker drive theirs with it).
package loadtest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"strconv"
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
	// Header is sent with every request, for a server that takes its key
	// elsewhere than "Authorization: Bearer" (Tinker's X-API-Key).
	Header http.Header
	// HeavyClients send, besides the Clients, the largest batch the search
	// server accepts (MaxBatch queries × MaxTopN) over and over: the
	// flood that took serve-search to 2.5 GB before it bounded requests
	// in flight.
	HeavyClients      int
	MaxBatch, MaxTopN int // the server's limits, for the heavy requests (default 1024, 100)
	// Mix draws a request; nil means the search server's mix.
	Mix func(rng *rand.Rand) Request
}

// Request is one request of a mix and the status it must get.
type Request struct {
	Method, Path, Body string
	Want               int
	// Contains, if set, must occur in the answer's body: the field a 400
	// must name, say, so that a right status for a wrong reason fails.
	Contains string
	// Then, if set, is called with the body of an answer that had the
	// wanted status, and the client sends the request it returns next, as
	// a request of its own: a job's submission, then its retrieval by the
	// id in the answer.
	Then func(body []byte) (Request, bool)
}

// Report summarizes a run.
type Report struct {
	Requests   int
	ByStatus   map[int]int
	Shed       int // 503 or 429 with Retry-After: turned away by a bound
	ServerErrs int // other 5xx answers
	Dropped    int // transport errors: refused, reset or timed-out connections
	Unexpected int // answers whose status differs from the expected one
	FirstIssue string
	P50, P99   time.Duration
	Max        time.Duration
	Elapsed    time.Duration
	// PeakRSS is the process's peak resident memory (VmHWM) at the end, in
	// bytes, 0 where /proc does not tell: the server and the load
	// generator when they share the process, as in bench/.
	PeakRSS int64
}

// Held is the load held: requests answered other than by shedding, per
// second.
func (r Report) Held() float64 {
	return float64(r.Requests-r.Shed-r.Dropped) / r.Elapsed.Seconds()
}

// String formats the report on one line.
func (r Report) String() string {
	return fmt.Sprintf("held %.0f req/s (%d requests in %.1fs, %d shed with 503 or 429): p50 %s, p99 %s, max %s; peak RSS %.1f MB; 5xx %d, dropped %d, unexpected %d; by status %v",
		r.Held(), r.Requests, r.Elapsed.Seconds(), r.Shed,
		r.P50.Round(time.Microsecond), r.P99.Round(time.Microsecond), r.Max.Round(time.Microsecond),
		float64(r.PeakRSS)/1e6, r.ServerErrs, r.Dropped, r.Unexpected, r.ByStatus)
}

// request is one request of the search server's mix and the status it
// must get, short enough to write the mix as a table.
type request struct {
	Method, Path, Body string
	Want               int
}

// heavy is the largest batch the search server takes.
func heavy(rng *rand.Rand, o *Options) Request {
	qs := make([]string, o.MaxBatch)
	for i := range qs {
		qs[i] = fmt.Sprintf("%q", o.Queries[rng.IntN(len(o.Queries))])
	}
	return Request{Method: "POST", Path: "/batch_search", Body: fmt.Sprintf(`{"query": [%s], "top_n": %d, "return_score": true}`, strings.Join(qs, ","), o.MaxTopN), Want: 200}
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
	if o.MaxBatch <= 0 {
		o.MaxBatch = 1024
	}
	if o.MaxTopN <= 0 {
		o.MaxTopN = 100
	}
	if o.Mix == nil {
		if len(o.Queries) == 0 {
			return Report{}, fmt.Errorf("loadtest: no queries")
		}
		o.Mix = func(rng *rand.Rand) Request {
			r := mix(rng, &o)
			return Request{Method: r.Method, Path: r.Path, Body: r.Body, Want: r.Want}
		}
	}
	if o.HeavyClients > 0 && len(o.Queries) == 0 {
		return Report{}, fmt.Errorf("loadtest: heavy clients need queries")
	}
	all := o.Clients + o.HeavyClients
	hc := &http.Client{
		Timeout:   60 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: all, MaxConnsPerHost: all},
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
	for c := range all {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(c), 42))
			var mine []time.Duration
			var next *Request
			for ctx.Err() == nil {
				var r Request
				switch {
				case next != nil:
					r, next = *next, nil
				case c >= o.Clients:
					r = heavy(rng, &o)
				default:
					r = o.Mix(rng)
				}
				t0 := time.Now()
				status, retryAfter, body, err := send(ctx, hc, o, r)
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
					issue("%s %s: %v", r.Method, r.Path, err)
				case (status == http.StatusServiceUnavailable || status == http.StatusTooManyRequests) && retryAfter != "":
					rep.ByStatus[status]++
					rep.Shed++
				default:
					rep.ByStatus[status]++
					if status >= 500 {
						rep.ServerErrs++
					}
					switch {
					case status != r.Want:
						rep.Unexpected++
						issue("%s %s %.80q: status %d, want %d: %.200q", r.Method, r.Path, r.Body, status, r.Want, body)
					case r.Contains != "" && !bytes.Contains(body, []byte(r.Contains)):
						rep.Unexpected++
						issue("%s %s %.80q: status %d without %q: %.200q", r.Method, r.Path, r.Body, status, r.Contains, body)
					case r.Then != nil:
						if n, ok := r.Then(body); ok {
							next = &n
						}
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
	rep.PeakRSS = PeakRSS()
	return rep, nil
}

// send sends one request and reads the whole answer. It keeps the body
// only for an answer that differs from the wanted one, or where r looks
// into it: the others need not cost the load generator memory.
func send(ctx context.Context, hc *http.Client, o Options, r Request) (status int, retryAfter string, body []byte, err error) {
	req, err := http.NewRequestWithContext(ctx, r.Method, strings.TrimRight(o.BaseURL, "/")+r.Path, bytes.NewReader([]byte(r.Body)))
	if err != nil {
		return 0, "", nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if o.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+o.APIKey)
	}
	for k, vs := range o.Header {
		req.Header[k] = vs
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, "", nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != r.Want || r.Contains != "" || r.Then != nil {
		// The start of an unexpected answer is enough to say what it was.
		body, err = io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		if err == nil {
			_, err = io.Copy(io.Discard, resp.Body)
		}
	} else {
		_, err = io.Copy(io.Discard, resp.Body)
	}
	if err != nil {
		return 0, "", nil, err
	}
	return resp.StatusCode, resp.Header.Get("Retry-After"), body, nil
}

// PeakRSS returns the process's peak resident set size in bytes (VmHWM
// in /proc/self/status), or 0 where there is no /proc.
func PeakRSS() int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(data)) {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				return 0
			}
			return kb << 10
		}
	}
	return 0
}
