package judge

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeServer is an OpenAI-compatible chat endpoint whose replies a test
// scripts per call: a reply text, an HTTP status, or a stall.
type fakeServer struct {
	t       *testing.T
	mu      sync.Mutex
	replies []string // "500", "stall", or the message content
	calls   int
	bodies  []map[string]any
}

func (f *fakeServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var body map[string]any
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		f.t.Errorf("request body: %v", err)
	}
	f.mu.Lock()
	reply := f.replies[min(f.calls, len(f.replies)-1)]
	f.calls++
	f.bodies = append(f.bodies, body)
	f.mu.Unlock()
	switch reply {
	case "500":
		http.Error(w, `{"error":{"message":"boom"}}`, http.StatusInternalServerError)
		return
	case "stall":
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{
		"id": "x", "object": "chat.completion", "created": 0, "model": body["model"],
		"choices": []any{map[string]any{"index": 0, "finish_reason": "stop",
			"message": map[string]any{"role": "assistant", "content": reply}}},
	})
}

func newJudge(t *testing.T, replies ...string) (*Judge, *fakeServer) {
	t.Helper()
	f := &fakeServer{t: t, replies: replies}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	cfg := Defaults(srv.URL+"/v1", "key", "judge-model")
	cfg.Backoff, cfg.Timeout, cfg.Attempts = time.Millisecond, 200*time.Millisecond, 3
	cfg.CachePath = filepath.Join(t.TempDir(), "cache.jsonl")
	j, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	return j, f
}

const good = `{"rationale": "same city", "judgement": "correct"}`

func TestJudge(t *testing.T) {
	tests := []struct {
		name      string
		replies   []string
		judgement string
		attempts  int
	}{
		{"good verdict", []string{good}, Correct, 1},
		{"incorrect", []string{`{"rationale":"no","judgement":"incorrect"}`}, Incorrect, 1},
		{"fenced with prose", []string{"Sure.\n```json\n{\"rationale\": \"a {brace}\", \"judgement\": \" Correct \"}\n```"}, Correct, 1},
		{"malformed then good", []string{`{"rationale": "cut`, good}, Correct, 2},
		{"500 then good", []string{"500", "500", good}, Correct, 3},
		{"timeout then good", []string{"stall", good}, Correct, 2},
		{"always malformed", []string{"I think it is right"}, "", 3},
		{"always 500", []string{"500"}, "", 3},
		{"always timeout", []string{"stall"}, "", 3},
		{"bad judgement word", []string{`{"rationale":"x","judgement":"maybe"}`}, "", 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j, f := newJudge(t, tt.replies...)
			v := j.Judge(context.Background(), "Where?", []string{"Paris", "O'Neill"}, "paris")
			if v.Judgement != tt.judgement || v.Attempts != tt.attempts {
				t.Fatalf("verdict %+v, want judgement %q after %d attempts", v, tt.judgement, tt.attempts)
			}
			if (v.Error != "") != (tt.judgement == "") || v.Failed() != (tt.judgement == "") {
				t.Errorf("error %q for judgement %q", v.Error, v.Judgement)
			}
			body := f.bodies[0]
			if body["temperature"] != 0.0 || body["model"] != "judge-model" || body["max_tokens"] != 1024.0 {
				t.Errorf("request %v: want temperature 0, the model, 1024 tokens", body)
			}
			if rf, _ := body["response_format"].(map[string]any); rf["type"] != "json_object" {
				t.Errorf("response_format %v, want json_object", body["response_format"])
			}
			msg := body["messages"].([]any)[0].(map[string]any)
			if want := Prompt("Where?", []string{"Paris", "O'Neill"}, "paris"); msg["content"] != want || msg["role"] != "user" {
				t.Errorf("message %v", msg)
			}
		})
	}
}

// TestCache: a verdict is asked for once, kept on disk, and reused by a new
// judge on the same file; failures are not cached.
func TestCache(t *testing.T) {
	j, f := newJudge(t, good)
	ctx := context.Background()
	first := j.Judge(ctx, "q", []string{"a"}, "a")
	second := j.Judge(ctx, "q", []string{"a"}, "a")
	if first.Cached || !second.Cached || second.Judgement != Correct || f.calls != 1 {
		t.Fatalf("first %+v, second %+v, %d calls; want one call and a cached second", first, second, f.calls)
	}
	j.Close()
	j2, err := New(j.cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer j2.Close()
	if v := j2.Judge(ctx, "q", []string{"a"}, "a"); !v.Cached || v.Judgement != Correct || f.calls != 1 {
		t.Errorf("reopened cache: %+v after %d calls", v, f.calls)
	}
	// Another prediction is another prompt: asked, not taken from the cache.
	f.replies = []string{"500"}
	if v := j2.Judge(ctx, "q", []string{"a"}, "b"); v.Cached || !v.Failed() {
		t.Errorf("uncached failing prompt: %+v", v)
	}
	if j2.cache.Len() != 1 {
		t.Errorf("cache holds %d verdicts, want 1 (failures are not cached)", j2.cache.Len())
	}
}

func TestCacheTornLineAndVersion(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "c.jsonl")
	line := `{"version":1,"key":"k","judgement":"correct","rationale":"r","model":"m"}` + "\n"
	os.WriteFile(path, []byte(line+`{"version":1,"key":"k2","judg`), 0o644)
	c, err := OpenCache(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Put("k3", Verdict{Judgement: Incorrect, Model: "m"}); err != nil {
		t.Fatal(err)
	}
	c.Close()
	f, _ := os.Open(path)
	defer f.Close()
	n := 0
	for s := bufio.NewScanner(f); s.Scan(); n++ {
		if !json.Valid(s.Bytes()) {
			t.Errorf("line %d not JSON after reopening a torn cache: %s", n+1, s.Text())
		}
	}
	if n != 2 {
		t.Errorf("%d lines, want 2", n)
	}
	os.WriteFile(path, []byte(strings.Replace(line, `"version":1`, `"version":9`, 1)), 0o644)
	if _, err := OpenCache(path); err == nil || !strings.Contains(err.Error(), "version 9") {
		t.Errorf("unknown version: err %v", err)
	}
	os.WriteFile(path, []byte("not json\n"), 0o644)
	if _, err := OpenCache(path); err == nil || !strings.Contains(err.Error(), "line 1") {
		t.Errorf("bad line: err %v", err)
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		in, judgement, rationale string
		ok                       bool
	}{
		{good, Correct, "same city", true},
		{`{"judgement":"INCORRECT","rationale":"x"}`, Incorrect, "x", true},
		{"```json \n{\n    \"rationale\": \"r\",\n    \"judgement\": \"correct\"\n}\n```", Correct, "r", true},
		{`{"note": {"x": 1}} then {"rationale": "}", "judgement": "incorrect"}`, Incorrect, "}", true},
		{`{"rationale": "unterminated, "judgement": "correct"`, Correct, "", true},
		{`{'judgement': 'incorrect'}`, Incorrect, "", true},
		{`{"rationale": "x"}`, "", "", false},
		{`{"judgement": 1}`, "", "", false},
		{"", "", "", false},
		{"correct", "", "", false},
	}
	for _, tt := range tests {
		j, r, err := Parse(tt.in)
		if (err == nil) != tt.ok || j != tt.judgement || r != tt.rationale {
			t.Errorf("Parse(%q) = %q, %q, %v; want %q, %q, ok %v", tt.in, j, r, err, tt.judgement, tt.rationale, tt.ok)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{good, "```json\n{}\n```", `{"judgement":"correct"`, "{{{}", `"judgement": 'incorrect'`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		j, _, err := Parse(s)
		if err == nil && j != Correct && j != Incorrect {
			t.Fatalf("Parse(%q) = %q without error", s, j)
		}
	})
}

func TestPyListRepr(t *testing.T) {
	f, err := os.Open("testdata/pyrepr.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n := 0
	for s := bufio.NewScanner(f); s.Scan(); n++ {
		var c struct {
			Items []string
			Repr  string
		}
		if err := json.Unmarshal(s.Bytes(), &c); err != nil {
			t.Fatal(err)
		}
		if got := PyListRepr(c.Items); got != c.Repr {
			t.Errorf("PyListRepr(%q) = %s, Python %s", c.Items, got, c.Repr)
		}
	}
	if n < 10 {
		t.Fatalf("%d cases read", n)
	}
}

func TestPromptVerbatim(t *testing.T) {
	ref, err := os.ReadFile("../../../shared/reference/llm_judge_prompt.txt")
	if err != nil {
		t.Skip("../shared/reference is absent: the embedded prompt is not compared")
	}
	if string(ref) != promptTemplate {
		t.Fatal("judge/prompt.txt differs from ../shared/reference/llm_judge_prompt.txt")
	}
	p := Prompt("Q {pred_answer}", []string{"A"}, "P")
	if !strings.Contains(p, "question: Q {pred_answer}\nground truth answers: ['A']\npred_answer: P\n") {
		t.Errorf("filled prompt:\n%s", p)
	}
}
