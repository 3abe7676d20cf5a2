package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"research/search"
	"research/search/bm25"
)

// blockingRetriever holds every search until release is closed.
type blockingRetriever struct {
	entered chan struct{}
	release chan struct{}
}

func (b blockingRetriever) Search(ctx context.Context, queries []string, k int) ([][]search.Doc, error) {
	b.entered <- struct{}{}
	<-b.release
	return fakeRetriever{}.Search(ctx, queries, k)
}

// TestInFlightBound is the regression test for issue 19.5: nothing bounded
// how many requests searched at once, so 200 maximal batches took 2.5 GB.
// With the bound full, a search is turned away at once with 503 and
// Retry-After (it used to wait for the retriever), while /health and
// /metrics still answer.
func TestInFlightBound(t *testing.T) {
	const limit = 4
	b := blockingRetriever{entered: make(chan struct{}, limit+1), release: make(chan struct{})}
	srv := New(Config{Retriever: b, MaxInFlight: limit})
	var wg sync.WaitGroup
	codes := make([]int, limit)
	for i := range limit {
		wg.Add(1)
		go func() { defer wg.Done(); codes[i], _ = do(t, srv, "POST", "/search", `{"query": "x"}`) }()
	}
	for range limit {
		<-b.entered
	}
	type answer struct {
		code  int
		retry string
		body  []byte
	}
	extra := make(chan answer, 1)
	go func() {
		req, _ := http.NewRequest("POST", "/batch_search", strings.NewReader(`{"query": ["x", "y"]}`))
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		extra <- answer{rec.Code, rec.Header().Get("Retry-After"), rec.Body.Bytes()}
	}()
	select {
	case a := <-extra:
		if a.code != 503 || a.retry == "" || !bytes.Contains(a.body, []byte(`"detail"`)) {
			t.Errorf("over the bound: %d Retry-After %q %s, want 503 with Retry-After and a detail", a.code, a.retry, a.body)
		}
	case <-time.After(5 * time.Second):
		t.Error("a request over the bound waited for the retriever instead of being turned away")
	}
	if code, body := do(t, srv, "GET", "/health", ""); code != 200 {
		t.Errorf("/health while full: %d %s", code, body)
	}
	if code, body := do(t, srv, "GET", "/metrics", ""); code != 200 || !bytes.Contains(body, []byte("research_search_in_flight_requests 4\n")) {
		t.Errorf("/metrics while full: %d\n%s", code, body)
	}
	close(b.release)
	wg.Wait()
	for i, c := range codes {
		if c != 200 {
			t.Errorf("held request %d: status %d", i, c)
		}
	}
}

// TestCorruptStoreWithoutVerify is the regression test for issue 19.6's
// damaged index opened with --no-verify: the answer used to be a bare
// "search: query 0: passage 0: corrupt store offsets"; it must say the
// index is damaged and how to find out, and the log must say it too.
func TestCorruptStoreWithoutVerify(t *testing.T) {
	var sb strings.Builder
	for i := range 20 {
		fmt.Fprintf(&sb, `{"id": "d%d", "contents": "\"T %d\"\nkansas song %d"}`+"\n", i, i, i)
	}
	dir := filepath.Join(t.TempDir(), "idx")
	if _, err := bm25.Build(context.Background(), strings.NewReader(sb.String()), "c", dir, bm25.BuildOptions{Params: bm25.DefaultParams}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "storeidx.bin")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := 12 + 8; i < len(data)-8; i++ { // every offset but the first and the end
		data[i] = 0xff
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := bm25.Open(dir, bm25.OpenOptions{}); err == nil {
		t.Fatal("a verified open accepted the damaged index: the test damaged nothing")
	}
	ix, err := bm25.Open(dir, bm25.OpenOptions{SkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	var log bytes.Buffer
	srv := New(Config{Retriever: ix, Log: &log})
	code, body := do(t, srv, "POST", "/search", `{"query": "kansas song"}`)
	var e struct{ Detail string }
	json.Unmarshal(body, &e)
	if code != 500 || !strings.Contains(e.Detail, "index is damaged") || !strings.Contains(e.Detail, "--no-verify") {
		t.Errorf("damaged store: %d %s, want a 500 that says the index is damaged and what to do", code, body)
	}
	if !strings.Contains(log.String(), "index is damaged") {
		t.Errorf("the damage is not logged: %q", log.String())
	}
}

type panickingRetriever struct{}

func (panickingRetriever) Search(ctx context.Context, queries []string, k int) ([][]search.Doc, error) {
	var docs [][]search.Doc
	return docs[:1], nil // a bug's panic: slice bounds out of range
}

func TestPanicAnswers500(t *testing.T) {
	var log bytes.Buffer
	srv := New(Config{Retriever: panickingRetriever{}, Log: &log})
	code, body := do(t, srv, "POST", "/search", `{"query": "x"}`)
	if code != 500 || !bytes.Contains(body, []byte(`"detail"`)) {
		t.Errorf("panic: %d %s, want a 500 with a detail", code, body)
	}
	if !strings.Contains(log.String(), "panic serving POST /search") {
		t.Errorf("panic not logged: %q", log.String())
	}
	if code, _ := do(t, srv, "GET", "/health", ""); code != 200 {
		t.Errorf("after a panic /health answers %d", code)
	}
}

// TestPassageBudget checks the second half of issue 19.5's bound: requests
// are also counted by the passages they ask for, so that a few maximal
// batches cannot take what many small ones may.
func TestPassageBudget(t *testing.T) {
	b := blockingRetriever{entered: make(chan struct{}, 4), release: make(chan struct{})}
	srv := New(Config{Retriever: b, MaxBatch: 4, MaxTopN: 5, MaxPassagesInFlight: 30})
	var wg sync.WaitGroup
	first := make(chan int, 1)
	wg.Add(1)
	go func() { // 4 × 5 = 20 passages, held
		defer wg.Done()
		code, _ := do(t, srv, "POST", "/batch_search", `{"query": ["a", "b", "c", "d"], "top_n": 5}`)
		first <- code
	}()
	<-b.entered
	req := httptest.NewRequest("POST", "/batch_search", strings.NewReader(`{"query": ["a", "b", "c"], "top_n": 5}`))
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, req) // 15 more: over 30
	if rec.Code != 503 || rec.Header().Get("Retry-After") == "" {
		t.Errorf("over the passage budget: %d %q, want 503 with Retry-After", rec.Code, rec.Header().Get("Retry-After"))
	}
	wg.Add(1)
	go func() { // 2 × 5 = 10 more: fits
		defer wg.Done()
		if code, body := do(t, srv, "POST", "/batch_search", `{"query": ["a", "b"], "top_n": 5}`); code != 200 {
			t.Errorf("within the budget: %d %s", code, body)
		}
	}()
	select {
	case <-b.entered:
	case <-time.After(5 * time.Second):
		t.Error("a request within the budget did not reach the retriever")
	}
	close(b.release)
	wg.Wait()
	if code := <-first; code != 200 {
		t.Errorf("the held request: %d", code)
	}
	// Everything was given back: a maximal request fits again.
	if code, body := do(t, srv, "POST", "/batch_search", `{"query": ["a", "b", "c", "d"], "top_n": 5}`); code != 200 {
		t.Errorf("after release: %d %s", code, body)
	}
}
