package remote

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// fakeServer answers /v1/embeddings with [len(text), index-in-batch, 1]
// in reverse order, failing the first `fail` requests with a 503.
func fakeServer(t *testing.T, fail int32, bad string) (*httptest.Server, *atomic.Int32) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := calls.Add(1)
		if r.URL.Path != "/v1/embeddings" {
			http.NotFound(w, r)
			return
		}
		if n <= fail {
			http.Error(w, `{"error":{"message":"busy"}}`, http.StatusServiceUnavailable)
			return
		}
		var req struct {
			Input []string `json:"input"`
			Model string   `json:"model"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			t.Errorf("bad request body: %v", err)
		}
		w.Header().Set("Content-Type", "application/json")
		if bad != "" {
			fmt.Fprint(w, bad)
			return
		}
		var data []string
		for i := len(req.Input) - 1; i >= 0; i-- {
			data = append(data, fmt.Sprintf(`{"object":"embedding","index":%d,"embedding":[%d,%d,1]}`, i, len(req.Input[i]), i))
		}
		fmt.Fprintf(w, `{"object":"list","model":%q,"data":[%s],"usage":{"prompt_tokens":1,"total_tokens":1}}`, req.Model, strings.Join(data, ","))
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

func TestEncode(t *testing.T) {
	srv, calls := fakeServer(t, 1, "")
	e, err := New(Config{BaseURL: srv.URL + "/v1", Model: "e5", BatchSize: 2, MaxRetries: 2, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	texts := []string{"a", "bb", "ccc", "dddd", "eeeee"}
	vecs, err := e.Encode(context.Background(), texts)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range vecs {
		if len(v) != 3 || int(v[0]) != len(texts[i]) || int(v[1]) != i%2 {
			t.Errorf("text %d: got %v", i, v)
		}
	}
	if got := calls.Load(); got != 4 { // one 503 retried, then 3 batches
		t.Errorf("%d requests, want 4", got)
	}
}

func TestErrors(t *testing.T) {
	for _, tc := range []struct{ name, body, want string }{
		{"count", `{"data":[]}`, "0 embeddings for 1"},
		{"index", `{"data":[{"index":5,"embedding":[1]}]}`, "out of range"},
		{"not json", `nope`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, _ := fakeServer(t, 0, tc.body)
			e, _ := New(Config{BaseURL: srv.URL + "/v1", MaxRetries: 0})
			_, err := e.Encode(context.Background(), []string{"x"})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
	srv, _ := fakeServer(t, 100, "")
	e, _ := New(Config{BaseURL: srv.URL + "/v1", MaxRetries: 1})
	if _, err := e.Encode(context.Background(), []string{"x"}); err == nil || !strings.Contains(err.Error(), "503") {
		t.Errorf("persistent 503: err = %v", err)
	}
	if _, err := New(Config{}); err == nil {
		t.Error("accepted an empty base URL")
	}
}
