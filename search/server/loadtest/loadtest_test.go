package loadtest

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"runtime"
	"strings"
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
