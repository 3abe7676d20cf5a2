package loadtest

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"research/search/bm25"
	"research/search/server"
)

// TestLoad runs 64 clients against a real server on loopback for a short
// while (the 60-second run is bench/search/loadtest) and requires every
// answer to have its expected status: no 5xx, no dropped connection.
func TestLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("load test skipped in -short mode")
	}
	var sb strings.Builder
	words := strings.Fields("kansas song university hamlet tragedy river city county music album film actor war king")
	for i := range 2000 {
		fmt.Fprintf(&sb, `{"id":"%d","contents":"\"T%d\"\n%s %s %s %s"}`+"\n", i, i, words[i%len(words)], words[(i/3)%len(words)], words[(i/7)%len(words)], words[(i*11)%len(words)])
	}
	dir := filepath.Join(t.TempDir(), "idx")
	if _, err := bm25.Build(context.Background(), strings.NewReader(sb.String()), "c", dir, bm25.BuildOptions{Params: bm25.DefaultParams}); err != nil {
		t.Fatal(err)
	}
	ix, err := bm25.Open(dir, bm25.OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- server.Serve(ctx, ln, server.New(server.Config{Retriever: ix, MaxBodyBytes: 64 << 10, MaxBatch: 64, MaxTopN: 20, MaxInFlight: 4}))
	}()

	rep, err := Run(context.Background(), Options{
		BaseURL: "http://" + ln.Addr().String(), Clients: 64, Duration: 2 * time.Second,
		Queries: []string{"kansas song", "who wrote hamlet", "river city music", "war king film actor"}, MaxBodyBytes: 64 << 10,
		HeavyClients: 4, MaxBatch: 64, MaxTopN: 20,
	})
	stop()
	if err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("server: %v", err)
	}
	t.Log(rep)
	if rep.Requests < 100 || rep.ServerErrs > 0 || rep.Dropped > 0 || rep.Unexpected > 0 {
		t.Fatalf("%v; first issue: %s", rep, rep.FirstIssue)
	}
	// 68 clients against 4 slots: the bound must have turned some away
	// with 503 + Retry-After, which is shedding, not failing.
	if rep.Shed == 0 {
		t.Errorf("68 clients, 4 slots, nothing shed: is the bound in force? %v", rep)
	}
	if rep.PeakRSS <= 0 && runtime.GOOS == "linux" {
		t.Errorf("no peak RSS on Linux")
	}
	for _, status := range []int{200, 400, 404, 405, 413, 422} {
		if rep.ByStatus[status] == 0 {
			t.Errorf("no request got status %d", status)
		}
	}
}

// TestChainsAndBodies checks what the other servers' mixes rely on: a
// request's Then sends the follow-up built from the answer, Contains fails
// an answer with the right status but not the wanted text, and a 429 with
// Retry-After is shed.
func TestChainsAndBodies(t *testing.T) {
	var followed atomic.Int64
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Api-Key") != "k" {
			http.Error(w, "no key", http.StatusUnauthorized)
			return
		}
		switch r.URL.Path {
		case "/submit":
			fmt.Fprint(w, `{"request_id": "r-7"}`)
		case "/retrieve/r-7":
			followed.Add(1)
		case "/busy":
			w.Header().Set("Retry-After", "1")
			http.Error(w, "queue full", http.StatusTooManyRequests)
		default:
			http.Error(w, "model_id: unknown", http.StatusNotFound)
		}
	}))
	defer hs.Close()
	rep, err := Run(context.Background(), Options{
		BaseURL: hs.URL, Clients: 4, Duration: 300 * time.Millisecond, Header: http.Header{"X-Api-Key": {"k"}},
		Mix: func(rng *rand.Rand) Request {
			switch rng.IntN(4) {
			case 0:
				return Request{Method: "POST", Path: "/submit", Want: 200, Then: func(body []byte) (Request, bool) {
					var f struct {
						RequestID string `json:"request_id"`
					}
					if json.Unmarshal(body, &f) != nil {
						return Request{}, false
					}
					return Request{Method: "GET", Path: "/retrieve/" + f.RequestID, Want: 200}, true
				}}
			case 1:
				return Request{Method: "GET", Path: "/busy", Want: 200}
			case 2:
				return Request{Method: "GET", Path: "/nope", Want: 404, Contains: "model_id"}
			}
			return Request{Method: "GET", Path: "/nope", Want: 404, Contains: "session_id"}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if followed.Load() == 0 {
		t.Errorf("no follow-up request sent: %v", rep)
	}
	if rep.Shed == 0 || rep.ByStatus[429] != rep.Shed {
		t.Errorf("429 with Retry-After not counted as shed: %v", rep)
	}
	// Only the answers without "session_id" are unexpected: a quarter.
	if rep.Unexpected == 0 || rep.Unexpected > rep.Requests/2 || !strings.Contains(rep.FirstIssue, "session_id") {
		t.Errorf("Contains: %d unexpected of %d, first %q", rep.Unexpected, rep.Requests, rep.FirstIssue)
	}
	if rep.Dropped > 0 || rep.ServerErrs > 0 {
		t.Errorf("%v: %s", rep, rep.FirstIssue)
	}
}
