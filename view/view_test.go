package view

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func newTestRun(t *testing.T) (string, *Server) {
	t.Helper()
	dir := t.TempDir()
	writeTrainRun(t, dir, fixture{steps: 3, questions: 4, n: 3, valEvery: 2, corruptLine: true})
	writeEvalRun(t, dir, 3)
	return dir, newServer(t, dir, Options{})
}

func newServer(t *testing.T, dir string, opt Options) *Server {
	t.Helper()
	run, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { run.Close() })
	s, err := New(run, opt)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func get(t *testing.T, h http.Handler, method, target string) (int, string) {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	body, _ := io.ReadAll(rec.Result().Body)
	return rec.Code, string(body)
}

func TestPages(t *testing.T) {
	_, s := newTestRun(t)
	escaped := "&lt;script&gt;alert(1)&lt;/script&gt;"
	tests := []struct {
		target string
		status int
		want   []string
		reject []string
	}{
		{"/", 200, []string{"metrics.jsonl:2:", `href="/rollouts/train/1"`, `href="/compare/test"`, escaped, "config.yaml"}, []string{hostileScript}},
		{"/steps", 200, []string{`href="/rollouts/train/3"`, `href="/rollouts/val/2"`}, nil},
		{"/rollouts/train/1", 200, []string{escaped, "&#34;&gt;&lt;img src=x onerror=alert(2)&gt;", "12 of 12 rollouts", `href="/rollouts/train/1/0"`, "A "}, []string{hostileScript, hostileImg}},
		{"/rollouts/train/1?type=bridge", 200, []string{"3 of 12 rollouts"}, nil},
		{"/rollouts/train/1?searches=1&q=query+1-", 200, []string{"1 of 12 rollouts"}, nil},
		{"/rollouts/train/1?rmin=1", 200, []string{"of 12 rollouts"}, []string{">wrong<"}},
		{"/rollouts/train/1?finish=length", 200, []string{"2 of 12 rollouts"}, nil},
		{"/rollouts/val/2", 200, []string{"4 of 4 rollouts"}, []string{"title=\"advantage\""}},
		{"/rollouts/train/1/0", 200, []string{`class="part search"`, `class="part result"`, `class="part answer"`, `class="part think"`, escaped, "tokens shaded by logprob"}, []string{hostileScript, hostileImg}},
		{"/rollouts/train/2/5", 200, []string{"question 1"}, nil},
		{"/eval", 200, []string{"ReSearch", "Naive RAG"}, nil},
		{"/eval/research/test", 200, []string{`href="/eval/research/test/0"`}, []string{hostileScript}},
		{"/eval/research/test/0", 200, []string{`class="part answer"`, escaped}, []string{hostileScript}},
		{"/eval/naive-rag/test/0", 200, []string{"prompt " + escaped}, []string{hostileScript}},
		{"/compare/test", 200, []string{"ReSearch", "Naive RAG", `href="/compare/test/2"`}, []string{hostileScript}},
		{"/compare/test/0", 200, []string{"ReSearch", "Naive RAG", escaped}, []string{hostileScript}},
		{"/search?q=anything", 200, []string{"names no index"}, nil},
		{"/static/app.js", 200, []string{"textContent"}, nil},

		{"/rollouts/train/0", 404, nil, nil},
		{"/rollouts/train/4", 404, nil, nil},
		{"/rollouts/train/-1", 404, nil, nil},
		{"/rollouts/train/abc", 404, nil, nil},
		{"/rollouts/train/99999999999999999999", 404, nil, nil},
		{"/rollouts/test/1", 404, nil, nil},
		{"/rollouts/train/1/12", 404, nil, nil},
		{"/rollouts/train/1/x", 404, nil, nil},
		{"/eval/research/nope", 404, nil, nil},
		{"/eval/bogus/test", 404, nil, nil},
		{"/eval/research/test/3", 404, nil, nil},
		{"/compare/nope", 404, nil, nil},
		{"/compare/test/3", 404, nil, nil},
		{"/nothing", 404, nil, nil},

		// Path traversal: names in URLs never become paths unchecked.
		{"/rollouts/..%2f..%2f..%2fetc%2fpasswd/1", 404, nil, []string{"root:"}},
		{"/eval/..%2f..%2fetc/passwd", 404, nil, []string{"root:"}},
		{"/eval/research/..%2f..%2f..%2fetc%2fpasswd", 404, nil, []string{"root:"}},
		{"/compare/..%2f..%2f..%2fetc%2fpasswd", 404, nil, []string{"root:"}},
		{"/static/..%2f..%2f..%2f..%2fetc%2fpasswd", 404, nil, []string{"root:"}},
		{"/static/..%2fview.go", 404, nil, []string{"package view"}},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			status, body := get(t, s, "GET", tt.target)
			if status != tt.status {
				t.Fatalf("status %d, want %d; body:\n%.400s", status, tt.status, body)
			}
			for _, w := range tt.want {
				if !strings.Contains(body, w) {
					t.Errorf("page lacks %q", w)
				}
			}
			for _, r := range tt.reject {
				if strings.Contains(body, r) {
					t.Errorf("page holds %q", r)
				}
			}
		})
	}
}

func TestTraversalCleanedPaths(t *testing.T) {
	_, s := newTestRun(t)
	// ServeMux redirects a path with dot segments to its clean form; the
	// clean form must not be a file either.
	for _, target := range []string{"/static/../../etc/passwd", "/rollouts/train/../../../etc/passwd"} {
		req := httptest.NewRequest("GET", "/", nil)
		req.URL.Path = target
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code == http.StatusOK || strings.Contains(rec.Body.String(), "root:") {
			t.Errorf("%s: status %d", target, rec.Code)
		}
		if loc := rec.Header().Get("Location"); loc != "" {
			if status, body := get(t, s, "GET", loc); status == http.StatusOK || strings.Contains(body, "root:") {
				t.Errorf("%s → %s: status %d", target, loc, status)
			}
		}
	}
}

func TestReadOnly(t *testing.T) {
	_, s := newTestRun(t)
	for _, method := range []string{"POST", "PUT", "DELETE", "PATCH"} {
		for _, target := range []string{"/", "/api/metrics", "/rollouts/train/1", "/search", "/static/app.js"} {
			if status, _ := get(t, s, method, target); status != http.StatusMethodNotAllowed {
				t.Errorf("%s %s: status %d, want 405", method, target, status)
			}
		}
	}
}

func TestSecurityHeaders(t *testing.T) {
	_, s := newTestRun(t)
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("GET", "/rollouts/train/1/0", nil))
	csp := rec.Header().Get("Content-Security-Policy")
	if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("Content-Security-Policy %q", csp)
	}
	if rec.Header().Get("X-Content-Type-Options") != "nosniff" {
		t.Error("no nosniff")
	}
}

func TestAPIKey(t *testing.T) {
	dir := t.TempDir()
	writeTrainRun(t, dir, fixture{steps: 1, questions: 1, n: 2})
	s := newServer(t, dir, Options{APIKey: "sesame"})
	tests := []struct {
		name, auth string
		status     int
	}{
		{"none", "", 401},
		{"wrong bearer", "Bearer nope", 401},
		{"bearer", "Bearer sesame", 200},
		{"bearer, any case", "bearer sesame", 200},
		{"basic", "Basic dTpzZXNhbWU=", 200},   // u:sesame
		{"wrong basic", "Basic dTpub3Bl", 401}, // u:nope
		{"bad basic", "Basic !!!", 401},
		{"key without scheme", "sesame", 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, target := range []string{"/", "/api/metrics", "/static/app.js"} {
				req := httptest.NewRequest("GET", target, nil)
				if tt.auth != "" {
					req.Header.Set("Authorization", tt.auth)
				}
				rec := httptest.NewRecorder()
				s.ServeHTTP(rec, req)
				if rec.Code != tt.status {
					t.Errorf("%s: status %d, want %d", target, rec.Code, tt.status)
				}
				if rec.Code == 401 && len(rec.Header().Values("WWW-Authenticate")) == 0 {
					t.Errorf("%s: 401 without WWW-Authenticate", target)
				}
			}
		})
	}
}

func TestMetricsAPILive(t *testing.T) {
	dir := t.TempDir()
	writeTrainRun(t, dir, fixture{steps: 2, questions: 1, n: 2, corruptLine: true})
	s := newServer(t, dir, Options{})
	answer := func(after string) metricsAnswer {
		_, body := get(t, s, "GET", "/api/metrics?after="+after)
		var a metricsAnswer
		if err := json.Unmarshal([]byte(body), &a); err != nil {
			t.Fatalf("%v: %s", err, body)
		}
		return a
	}
	a := answer("0")
	if a.Total != 2 || len(a.Points) != 2 || len(a.Errors) != 1 || !strings.HasPrefix(a.Errors[0], "metrics.jsonl:2:") {
		t.Fatalf("first answer: total %d, %d points, errors %q", a.Total, len(a.Points), a.Errors)
	}
	if a.Keys[0] != "reward_mean" || a.Titles["reward_mean"] == "" {
		t.Errorf("keys %v", a.Keys)
	}
	f, err := os.OpenFile(filepath.Join(dir, "metrics.jsonl"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	// A line still being written waits for its newline.
	f.WriteString(`{"step":3,"phase":"train","reward_mean":0.9`)
	if a := answer("2"); a.Total != 2 || len(a.Points) != 0 {
		t.Fatalf("partial line: total %d, %d points", a.Total, len(a.Points))
	}
	f.WriteString(",\"new_metric\":7}\n")
	f.Close()
	a = answer("2")
	if a.Total != 3 || len(a.Points) != 1 || a.Points[0].Step != 3 || a.Points[0].Values["new_metric"] != 7 {
		t.Fatalf("after append: %+v", a)
	}
	if a.Keys[len(a.Keys)-1] != "new_metric" {
		t.Errorf("keys %v: a new metric comes last", a.Keys)
	}
	if a := answer("99"); len(a.Points) != 0 || a.Total != 3 {
		t.Errorf("after beyond the end: %+v", a)
	}
}

func TestOpen(t *testing.T) {
	empty := t.TempDir()
	file := filepath.Join(empty, "f")
	os.WriteFile(file, nil, 0o644)
	demo := t.TempDir()
	writeTrainRun(t, filepath.Join(demo, "train"), fixture{steps: 1, questions: 1, n: 1})
	os.WriteFile(filepath.Join(demo, "report.md"), []byte("| method | all EM |\n|---|---|\n| x | 1.0 |\n"), 0o644)
	evalDir := t.TempDir()
	writeEvalRun(t, evalDir, 1)
	tests := []struct {
		dir, kind, err string
	}{
		{filepath.Join(empty, "missing"), "", "no such file"},
		{file, "", "not a directory"},
		{empty, "", "holds no run"},
		{demo, "demo", ""},
		{evalDir, "eval", ""},
	}
	for _, tt := range tests {
		r, err := Open(tt.dir)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%s: error %v, want %q", tt.dir, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tt.dir, err)
		}
		if r.Kind != tt.kind {
			t.Errorf("%s: kind %q, want %q", tt.dir, r.Kind, tt.kind)
		}
		if tt.kind == "demo" && (r.Report == nil || r.types.lookup("q-0") != "bridge") {
			t.Errorf("demo: report %v, type of q-0 %q (the config's path is relative to elsewhere)", r.Report, r.types.lookup("q-0"))
		}
	}
}

func TestTraceParts(t *testing.T) {
	tests := []struct {
		text string
		want string // kinds and texts
	}{
		{"", ""},
		{"plain", "text:plain"},
		{"<think>a</think><search>q</search><result>r</result><answer>x</answer>", "think:a search:q result:r answer:x"},
		{"<think>a", "think:a(unclosed)"},
		{"pre <answer>x</answer> post", "text:pre  answer:x text: post"},
		{"<search><think>q</search>", "search:<think>q"},
	}
	for _, tt := range tests {
		var got []string
		tr := trajectory(0, 0, 0, false)
		tr.ResponseText, tr.Searches = tt.text, nil
		for _, p := range traceParts(tr) {
			s := p.Kind + ":" + p.Text
			if p.Unclosed {
				s += "(unclosed)"
			}
			got = append(got, s)
		}
		if g := strings.Join(got, " "); g != tt.want {
			t.Errorf("%q: got %q, want %q", tt.text, g, tt.want)
		}
	}
}

func TestParseMarkdown(t *testing.T) {
	doc := ParseMarkdown("## EM\n\n| a | **b** |\n|---|---:|\n| 1 | 2 |\n\n- **x** y\n  - z\n\ntext\nmore\n")
	var kinds []string
	for _, b := range doc.Blocks {
		kinds = append(kinds, b.Kind)
	}
	if got := strings.Join(kinds, ","); got != "heading,table,list,para" {
		t.Fatalf("blocks %s", got)
	}
	tab := doc.Blocks[1]
	if len(tab.Header) != 2 || !tab.Header[1][0].Bold || len(tab.Rows) != 1 || tab.Rows[0][1][0].Text != "2" {
		t.Errorf("table %+v", tab)
	}
	if l := doc.Blocks[2]; len(l.Items) != 2 || l.Items[1].Depth != 1 || !l.Items[0].Inline[0].Bold {
		t.Errorf("list %+v", l)
	}
	if p := doc.Blocks[3]; p.Inline[0].Text != "text more" {
		t.Errorf("para %+v", p)
	}
}

func TestDumpsReadLazily(t *testing.T) {
	dir := t.TempDir()
	writeTrainRun(t, dir, fixture{steps: 5, questions: 2, n: 2})
	s := newServer(t, dir, Options{})
	for _, target := range []string{"/", "/steps", "/api/metrics"} {
		get(t, s, "GET", target)
	}
	if n := len(s.run.dumps.entries); n != 0 {
		t.Fatalf("%d dumps read before a step was opened", n)
	}
	get(t, s, "GET", "/rollouts/train/4")
	get(t, s, "GET", "/rollouts/train/4/1")
	if n := len(s.run.dumps.entries); n != 1 {
		t.Fatalf("%d dumps read for one step", n)
	}
}

func TestCorruptDump(t *testing.T) {
	dir, s := newTestRun(t)
	path := filepath.Join(dir, "rollouts", "train-step000002.jsonl")
	data, _ := os.ReadFile(path)
	lines := strings.SplitAfter(string(data), "\n")
	lines[1] = "{not json\n"
	os.WriteFile(path, []byte(strings.Join(lines, "")), 0o644)
	status, body := get(t, s, "GET", "/rollouts/train/2")
	if status != http.StatusInternalServerError || !strings.Contains(body, "train-step000002.jsonl:2:") {
		t.Errorf("status %d, body lacks file:line:\n%.600s", status, body)
	}
	// The other steps and the overview still render.
	for _, target := range []string{"/", "/rollouts/train/1", "/rollouts/train/3/0"} {
		if status, _ := get(t, s, "GET", target); status != 200 {
			t.Errorf("%s: status %d", target, status)
		}
	}
}
