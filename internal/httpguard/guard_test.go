package httpguard

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func serve(h http.Handler, method, path, body string, header ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func ok(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }

func TestAPIKey(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/", ok)
	h := New(Policy{APIKey: "s3cret", Public: []string{"/health"}}).Wrap(mux)
	tests := []struct {
		name, path, auth string
		want             int
	}{
		{"no header", "/x", "", 401},
		{"bare key", "/x", "s3cret", 401},
		{"other scheme", "/x", "Basic s3cret", 401},
		{"wrong key", "/x", "Bearer s3cre", 401},
		{"longer key", "/x", "Bearer s3crett", 401},
		{"two spaces", "/x", "Bearer  s3cret", 401},
		{"right key", "/x", "Bearer s3cret", 200},
		{"scheme in lower case", "/x", "bearer s3cret", 200},
		{"public path", "/health", "", 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var hdr []string
			if tt.auth != "" {
				hdr = []string{"Authorization", tt.auth}
			}
			w := serve(h, "GET", tt.path, "", hdr...)
			if w.Code != tt.want {
				t.Fatalf("status %d, want %d", w.Code, tt.want)
			}
			if tt.want == 401 && w.Header().Get("WWW-Authenticate") != "Bearer" {
				t.Errorf("401 without WWW-Authenticate: Bearer")
			}
		})
	}
}

// TestKeySchemes checks the other places a key may be presented: each
// scheme takes its own and nothing else.
func TestKeySchemes(t *testing.T) {
	basic := func(user, pass string) string {
		return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
	}
	tests := []struct {
		name          string
		scheme        KeyScheme
		header, value string
		want          int
	}{
		{"x-api-key", XAPIKey, "X-API-Key", "s3cret", 200},
		{"x-api-key wrong", XAPIKey, "X-API-Key", "s3cre", 401},
		{"x-api-key as bearer", XAPIKey, "Authorization", "Bearer s3cret", 401},
		{"basic password", BearerOrBasic, "Authorization", basic("anyone", "s3cret"), 200},
		{"basic wrong password", BearerOrBasic, "Authorization", basic("s3cret", "x"), 401},
		{"basic not base64", BearerOrBasic, "Authorization", "Basic !!!", 401},
		{"bearer under bearer-or-basic", BearerOrBasic, "Authorization", "Bearer s3cret", 200},
		{"basic under bearer", Bearer, "Authorization", basic("", "s3cret"), 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := New(Policy{APIKey: "s3cret", KeyScheme: tt.scheme}).Wrap(http.HandlerFunc(ok))
			w := serve(h, "GET", "/x", "", tt.header, tt.value)
			if w.Code != tt.want {
				t.Fatalf("status %d, want %d", w.Code, tt.want)
			}
			if tt.want == 401 && !slices.Equal(w.Header().Values("WWW-Authenticate"), tt.scheme.Challenge) {
				t.Errorf("WWW-Authenticate %q, want %q", w.Header().Values("WWW-Authenticate"), tt.scheme.Challenge)
			}
		})
	}
}

// TestInFlightBound fills the slots with requests that wait, then checks
// who gets in: nobody on a bounded path, everybody on public and
// unbounded ones, and again anybody once a slot frees.
func TestInFlightBound(t *testing.T) {
	const limit = 3
	hold := make(chan struct{})
	entered := make(chan struct{}, limit)
	mux := http.NewServeMux()
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		entered <- struct{}{}
		<-hold
	})
	mux.HandleFunc("/", ok)
	g := New(Policy{MaxInFlight: limit, Public: []string{"/health"}, Unbounded: []string{"/metrics"}})
	h := g.Wrap(mux)
	var wg sync.WaitGroup
	for range limit {
		wg.Add(1)
		go func() { defer wg.Done(); serve(h, "GET", "/slow", "") }()
	}
	for range limit {
		<-entered
	}
	tests := []struct {
		path string
		want int
	}{{"/fast", 503}, {"/slow", 503}, {"/health", 200}, {"/metrics", 200}}
	for _, tt := range tests {
		w := serve(h, "GET", tt.path, "")
		if w.Code != tt.want {
			t.Errorf("%s while full: status %d, want %d", tt.path, w.Code, tt.want)
		}
		if tt.want == 503 && w.Header().Get("Retry-After") == "" {
			t.Errorf("%s: 503 without Retry-After", tt.path)
		}
	}
	var m bytes.Buffer
	g.WriteMetrics(&m)
	if !strings.Contains(m.String(), "research_http_in_flight_requests 3\n") {
		t.Errorf("metrics while full:\n%s", m.String())
	}
	close(hold)
	wg.Wait()
	if w := serve(h, "GET", "/fast", ""); w.Code != 200 {
		t.Errorf("after the slow ones: status %d", w.Code)
	}
}

func TestPanicRecovery(t *testing.T) {
	var log bytes.Buffer
	mux := http.NewServeMux()
	mux.HandleFunc("/boom", func(w http.ResponseWriter, r *http.Request) {
		var m map[string]int
		m["x"] = 1 // a nil-map write: a real bug's panic, not a test's
	})
	mux.HandleFunc("/late", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "partial")
		panic("late")
	})
	errorShape := func(w http.ResponseWriter, status int, msg string) {
		w.WriteHeader(status)
		io.WriteString(w, `{"detail":"`+msg+`"}`)
	}
	g := New(Policy{Log: &log, Error: errorShape, MaxInFlight: 1})
	h := g.Wrap(mux)
	w := serve(h, "GET", "/boom", "")
	if w.Code != 500 || !strings.Contains(w.Body.String(), `"detail"`) {
		t.Errorf("panic: %d %q, want 500 in the server's error shape", w.Code, w.Body)
	}
	if !strings.Contains(log.String(), "panic serving GET /boom") || !strings.Contains(log.String(), "guard_test.go") {
		t.Errorf("log lacks the panic and its stack:\n%s", log.String())
	}
	// After the header went out the only signal left is an aborted
	// connection, which net/http gives on http.ErrAbortHandler.
	func() {
		defer func() {
			if p := recover(); p != http.ErrAbortHandler {
				t.Errorf("panic after the header: re-panicked with %v, want http.ErrAbortHandler", p)
			}
		}()
		serve(h, "GET", "/late", "")
	}()
	// The slot of a panicking request is given back.
	if w := serve(h, "GET", "/boom", ""); w.Code != 500 {
		t.Errorf("third request: %d, want 500 (a leaked slot gives 503)", w.Code)
	}
	var m bytes.Buffer
	g.WriteMetrics(&m)
	if !strings.Contains(m.String(), "research_http_panics_total 3\n") {
		t.Errorf("panics not counted:\n%s", m.String())
	}
}

func TestBodyCapAndTimeout(t *testing.T) {
	var readErr error
	var deadline time.Time
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		_, readErr = io.ReadAll(r.Body)
		deadline, _ = r.Context().Deadline()
		_, canFlush := w.(http.Flusher)
		if !canFlush {
			t.Error("the wrapped writer hides http.Flusher: streaming would break")
		}
	})
	h := New(Policy{MaxBodyBytes: 10, Timeout: time.Minute}).Wrap(mux)
	serve(h, "POST", "/", strings.Repeat("x", 11))
	var tooBig *http.MaxBytesError
	if !errors.As(readErr, &tooBig) {
		t.Errorf("an 11-byte body under a 10-byte cap read with %v", readErr)
	}
	if d := time.Until(deadline); d <= 0 || d > time.Minute {
		t.Errorf("request deadline in %v, want within a minute", d)
	}
	serve(h, "POST", "/", strings.Repeat("x", 10))
	if readErr != nil {
		t.Errorf("a body at the cap: %v", readErr)
	}
}

func TestMetrics(t *testing.T) {
	mux := http.NewServeMux()
	g := New(Policy{Name: "search", Unbounded: []string{"/metrics"}})
	mux.HandleFunc("POST /search", ok)
	mux.HandleFunc("GET /metrics", g.ServeMetrics)
	h := g.Wrap(mux)
	serve(h, "POST", "/search", "")
	serve(h, "GET", "/search", "")
	serve(h, "GET", "/nowhere/"+strings.Repeat("x", 50), "")
	w := serve(h, "GET", "/metrics", "")
	for _, want := range []string{
		`research_search_requests_total{route="/search",code="200"} 1`,
		// No pattern matches a wrong method: the 405 counts as "other".
		`research_search_requests_total{route="other",code="405"} 1`,
		`research_search_requests_total{route="other",code="404"} 1`,
		`research_search_request_duration_seconds_count{route="/search"} 1`,
		"research_search_in_flight_requests 0\n",
		"research_search_in_flight_limit 64\n",
		"# TYPE go_goroutines gauge\ngo_goroutines ",
		"go_memstats_heap_alloc_bytes ",
	} {
		if !strings.Contains(w.Body.String(), want) {
			t.Errorf("metrics lack %q:\n%s", want, w.Body)
		}
	}
}
