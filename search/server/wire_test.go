package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"research/search"
)

// fakeDocs and fakeRetriever mirror the fake retriever of
// testdata/make_wire_fixtures.py, which recorded the reference servers'
// answers with it: docs rotated by the query length (in code points).
var fakeDocs = []search.Doc{
	{ID: "1", Contents: "\"Kansas Song\"\nKansas Song is the fight song of the University of Kansas."},
	{ID: "2", Contents: "\"University of Kansas\"\nThe University of Kansas is a public research university."},
	{ID: "3", Contents: "\"Lawrence, Kansas\"\nLawrence is the county seat of Douglas County."},
	{ID: "4", Contents: "\"Hamlet\"\nHamlet is a tragedy written by William Shakespeare."},
	{ID: "5", Contents: "\"Unicode \u00e9\u00e8 \u6771\u4eac\"\nQuotes \" and backslashes \\ and tabs\tsurvive."},
	{ID: "6", Contents: "no title line"},
}

type fakeRetriever struct{}

func (fakeRetriever) Search(ctx context.Context, queries []string, k int) ([][]search.Doc, error) {
	out := make([][]search.Doc, len(queries))
	for qi, q := range queries {
		n := utf8.RuneCountInString(q)
		for i := range min(k, len(fakeDocs)) {
			d := fakeDocs[(n+i)%len(fakeDocs)]
			d.Score = 12.5 - 1.25*float64(i) + float64(n)/8
			out[qi] = append(out[qi], d)
		}
	}
	return out, nil
}

type wireCase struct {
	Server   string          `json:"server"`
	Method   string          `json:"method"`
	Path     string          `json:"path"`
	Request  json.RawMessage `json:"request"`
	Status   int             `json:"status"`
	Response json.RawMessage `json:"response"`
}

// do sends one request to h and returns the status and body.
func do(t *testing.T, h http.Handler, method, path, body string, header ...string) (int, []byte) {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	out, _ := io.ReadAll(rec.Body)
	return rec.Code, out
}

func jsonValue(t *testing.T, raw []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("invalid JSON %q: %v", raw, err)
	}
	return v
}

// TestWireCompat replays the requests recorded from the reference servers
// (testdata/wire.jsonl) and checks that we answer with the same status and,
// for successes, the same JSON value. Errors must be JSON with a "detail"
// field; FastAPI's 422 details are lists of pydantic errors, ours a string.
func TestWireCompat(t *testing.T) {
	f, err := os.Open("testdata/wire.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	srv := New(Config{Retriever: fakeRetriever{}})
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	n := 0
	for sc.Scan() {
		var c wireCase
		if err := json.Unmarshal(sc.Bytes(), &c); err != nil {
			t.Fatal(err)
		}
		n++
		body := ""
		if c.Method == "POST" {
			body = string(c.Request)
		}
		status, got := do(t, srv, c.Method, c.Path, body)
		if status != c.Status {
			t.Errorf("%s %s %s: status %d, reference %d (%s)", c.Method, c.Path, c.Request, status, c.Status, got)
			continue
		}
		if status != http.StatusOK {
			if m, ok := jsonValue(t, got).(map[string]any); !ok || m["detail"] == nil {
				t.Errorf("%s %s: error body %s has no detail", c.Path, c.Request, got)
			}
			continue
		}
		if g, w := jsonValue(t, got), jsonValue(t, c.Response); !reflect.DeepEqual(g, w) {
			t.Errorf("%s %s %s:\n got %s\nwant %s", c.Method, c.Path, c.Request, got, c.Response)
		}
	}
	if n < 20 {
		t.Fatalf("only %d recorded cases", n)
	}
}

// TestBadRequests checks that clients' mistakes get a 4xx JSON error.
func TestBadRequests(t *testing.T) {
	srv := New(Config{Retriever: fakeRetriever{}, MaxBodyBytes: 1000, MaxBatch: 4, MaxTopN: 20})
	big := `{"query": "` + strings.Repeat("a", 2000) + `"}`
	cases := []struct {
		method, path, body string
		status             int
	}{
		{"POST", "/search", `{"query": "x"`, 422},
		{"POST", "/search", `not json`, 422},
		{"POST", "/search", ``, 422},
		{"POST", "/search", `{"query": "x"} {"query": "y"}`, 422},
		{"POST", "/search", `{"query": "x", "top_n": 0}`, 422},
		{"POST", "/search", `{"query": "x", "top_n": -3}`, 422},
		{"POST", "/search", `{"query": "x", "top_n": 21}`, 422},
		{"POST", "/search", `{"query": "x", "top_n": 2.5}`, 422},
		{"POST", "/search", `{"query": "x", "top_n": "3"}`, 422},
		{"POST", "/search", `{"query": "x", "return_score": "yes"}`, 422},
		{"POST", "/search", big, 413},
		{"POST", "/batch_search", `{"query": ["a","b","c","d","e"]}`, 413},
		{"POST", "/batch_search", `{"query": [1, 2]}`, 422},
		{"POST", "/batch_search", `{"query": null}`, 422},
		{"POST", "/retrieve", `{"queries": ["a"], "topk": -1}`, 422},
		{"POST", "/retrieve", `{"queries": ["a"], "topk": 1e300}`, 422},
		{"POST", "/retrieve", `{"queries": "a"}`, 422},
		{"POST", "/retrieve", `[]`, 422},
		{"GET", "/search", ``, 405},
		{"DELETE", "/retrieve", ``, 405},
		{"GET", "/nope", ``, 404},
	}
	for _, c := range cases {
		status, body := do(t, srv, c.method, c.path, c.body)
		if status != c.status {
			t.Errorf("%s %s %.60q: status %d, want %d (%s)", c.method, c.path, c.body, status, c.status, body)
		}
		if m, ok := jsonValue(t, body).(map[string]any); !ok || m["detail"] == nil {
			t.Errorf("%s %s %.60q: body %s is not a JSON error", c.method, c.path, c.body, body)
		}
	}
}

func TestAPIKey(t *testing.T) {
	srv := New(Config{Retriever: fakeRetriever{}, APIKey: "s3cret"})
	tests := []struct {
		name, method, path, auth string
		want                     int
	}{
		{"no key", "POST", "/search", "", 401},
		{"bare key", "POST", "/search", "s3cret", 401},
		{"wrong key", "POST", "/search", "Bearer wrong", 401},
		{"right key", "POST", "/search", "Bearer s3cret", 200},
		{"metrics need the key", "GET", "/metrics", "", 401},
		{"health without key", "GET", "/health", "", 200},
	}
	for _, tt := range tests {
		var hdr []string
		if tt.auth != "" {
			hdr = []string{"Authorization", tt.auth}
		}
		req := httptest.NewRequest(tt.method, tt.path, strings.NewReader(`{"query": "x"}`))
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		if rec.Code != tt.want {
			t.Errorf("%s: status %d, want %d", tt.name, rec.Code, tt.want)
		}
		if rec.Code == 401 && rec.Header().Get("WWW-Authenticate") != "Bearer" {
			t.Errorf("%s: 401 without WWW-Authenticate: Bearer", tt.name)
		}
	}
}

type failingRetriever struct{}

func (failingRetriever) Search(ctx context.Context, queries []string, k int) ([][]search.Doc, error) {
	return nil, io.ErrUnexpectedEOF
}

func TestMetricsAndServerErrors(t *testing.T) {
	srv := New(Config{Retriever: failingRetriever{}})
	if status, body := do(t, srv, "POST", "/search", `{"query": "x"}`); status != 500 || !bytes.Contains(body, []byte("detail")) {
		t.Errorf("retriever failure: %d %s", status, body)
	}
	do(t, srv, "POST", "/search", `{"query": ""}`)
	_, m := do(t, srv, "GET", "/metrics", "")
	for _, want := range []string{
		`research_search_requests_total{route="/search",code="500"} 1`,
		`research_search_requests_total{route="/search",code="400"} 1`,
		`research_search_request_duration_seconds_count{route="/search"} 2`,
	} {
		if !bytes.Contains(m, []byte(want)) {
			t.Errorf("metrics lack %q:\n%s", want, m)
		}
	}
}

// FuzzRequests sends arbitrary bodies to every route: the answer must be
// JSON and never a 5xx.
func FuzzRequests(f *testing.F) {
	for _, s := range []string{`{"query": "x", "top_n": 3}`, `{"query": ["a", ""]}`, `{"queries": ["q"], "topk": 0}`, `{`, `null`, `{"top_n": 1e400}`} {
		f.Add(uint8(0), s)
	}
	srv := New(Config{Retriever: fakeRetriever{}, MaxBodyBytes: 4096, MaxBatch: 8})
	paths := []string{"/search", "/batch_search", "/retrieve", "/health", "/metrics"}
	f.Fuzz(func(t *testing.T, route uint8, body string) {
		path := paths[int(route)%len(paths)]
		status, out := do(t, srv, "POST", path, body)
		if status >= 500 {
			t.Fatalf("POST %s %q: status %d %s", path, body, status, out)
		}
		if path != "/metrics" {
			var v any
			if err := json.Unmarshal(out, &v); err != nil {
				t.Fatalf("POST %s %q: non-JSON answer %q", path, body, out)
			}
		}
	})
}
