package server

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"research/search"
	"research/search/bm25"
)

// smallIndex builds a BM25 index over a few passages.
func smallIndex(t *testing.T) *bm25.Index {
	t.Helper()
	var sb strings.Builder
	topics := []string{"kansas fight song", "university research", "hamlet tragedy shakespeare", "lawrence county seat", "python programming language"}
	for i := range 60 {
		fmt.Fprintf(&sb, `{"id": "d%d", "contents": "\"Title %d\"\n%s passage %d %s"}`+"\n", i, i, topics[i%5], i, topics[(i*7)%5])
	}
	dir := filepath.Join(t.TempDir(), "idx")
	if _, err := bm25.Build(context.Background(), strings.NewReader(sb.String()), "c", dir, bm25.BuildOptions{Params: bm25.DefaultParams}); err != nil {
		t.Fatal(err)
	}
	ix, err := bm25.Open(dir, bm25.OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	return ix
}

// TestClientAgainstServer checks that the HTTP client returns exactly what
// the in-process index returns, over both wire formats.
func TestClientAgainstServer(t *testing.T) {
	ix := smallIndex(t)
	ts := httptest.NewServer(New(Config{Retriever: ix, APIKey: "k"}))
	defer ts.Close()
	queries := []string{"kansas song", "who wrote hamlet", "", "unknownword", "Lawrence research university"}
	want, err := ix.Search(context.Background(), queries, 4)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []search.Protocol{search.FlashRAG, search.SearchR1} {
		c := &search.Client{BaseURL: ts.URL, Protocol: p, APIKey: "k"}
		got, err := c.Search(context.Background(), queries, 4)
		if err != nil {
			t.Fatalf("protocol %d: %v", p, err)
		}
		for i := range want {
			if len(got[i]) == 0 && len(want[i]) == 0 {
				continue
			}
			if !reflect.DeepEqual(got[i], want[i]) {
				t.Errorf("protocol %d query %q:\n got %+v\nwant %+v", p, queries[i], got[i], want[i])
			}
		}
	}
	bad := &search.Client{BaseURL: ts.URL, APIKey: "wrong", Backoff: time.Millisecond}
	if res, err := bad.Search(context.Background(), queries, 4); err == nil || res != nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("wrong key: %v, %v", res, err)
	}
}

// TestClientRetries checks retries on 5xx, none on 4xx, and an error (never
// a nil result) when the last try fails.
func TestClientRetries(t *testing.T) {
	var calls atomic.Int32
	failFirst := int32(2)
	inner := New(Config{Retriever: fakeRetriever{}})
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) <= failFirst {
			http.Error(w, `{"detail":"busy"}`, http.StatusServiceUnavailable)
			return
		}
		inner.ServeHTTP(w, r)
	}))
	defer ts.Close()
	c := &search.Client{BaseURL: ts.URL, Retries: 3, Backoff: time.Millisecond}
	if res, err := c.Search(context.Background(), []string{"q"}, 2); err != nil || len(res) != 1 || len(res[0]) != 2 {
		t.Fatalf("after two 503s: %v, %v", res, err)
	}
	if calls.Load() != 3 {
		t.Errorf("%d calls, want 3", calls.Load())
	}

	calls.Store(0)
	failFirst = 100
	if res, err := c.Search(context.Background(), []string{"q"}, 2); err == nil || res != nil || !strings.Contains(err.Error(), "503") {
		t.Errorf("always 503: %v, %v", res, err)
	}
	if calls.Load() != 4 {
		t.Errorf("%d calls, want 4 (1 + 3 retries)", calls.Load())
	}

	calls.Store(0)
	failFirst = 0
	if _, err := c.Search(context.Background(), []string{"q"}, 1000); err == nil || !strings.Contains(err.Error(), "422") {
		t.Errorf("top_n too large: %v", err)
	}
	if calls.Load() != 1 {
		t.Errorf("4xx retried: %d calls", calls.Load())
	}

	dead := &search.Client{BaseURL: "http://127.0.0.1:1", Retries: 1, Backoff: time.Millisecond}
	if res, err := dead.Search(context.Background(), []string{"q"}, 2); err == nil || res != nil {
		t.Errorf("unreachable server: %v, %v", res, err)
	}
}
