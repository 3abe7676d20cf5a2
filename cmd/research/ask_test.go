package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"research/search/bm25"
	"research/tokenizer"
)

const askCorpus = `{"id": "1", "contents": "\"Koza\"\nKoza is a 1981 film directed by Deguzu Lelno."}
{"id": "2", "contents": "\"Deguzu Lelno\"\nDeguzu Lelno was born in 1950 in Temgo."}
{"id": "3", "contents": "\"Temgo\"\nTemgo is a city in Droni."}
`

// askFixtures writes a trained tokenizer and a BM25 index of askCorpus.
func askFixtures(t *testing.T) (tokPath, indexDir string) {
	t.Helper()
	dir := t.TempDir()
	tr, err := tokenizer.NewTrainer(tokenizer.TrainOptions{VocabSize: 400, Special: []string{"<|endoftext|>", "<|im_start|>", "<|im_end|>"}})
	if err != nil {
		t.Fatal(err)
	}
	tr.Add(askCorpus)
	tok, err := tr.Train()
	if err != nil {
		t.Fatal(err)
	}
	tokPath = filepath.Join(dir, "tokenizer.json")
	if err := tok.Save(tokPath); err != nil {
		t.Fatal(err)
	}
	indexDir = filepath.Join(dir, "bm25")
	if _, err := bm25.Build(context.Background(), strings.NewReader(askCorpus), "corpus", indexDir, bm25.BuildOptions{}); err != nil {
		t.Fatal(err)
	}
	return tokPath, indexDir
}

// scriptedLLM is an OpenAI-compatible completions server that answers its
// i-th request with turns[i], the way vLLM reports stops.
func scriptedLLM(t *testing.T, turns []map[string]any) (*httptest.Server, *[]map[string]any) {
	var mu sync.Mutex
	var bodies []map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		var body map[string]any
		json.NewDecoder(r.Body).Decode(&body)
		i := len(bodies)
		bodies = append(bodies, body)
		if i >= len(turns) {
			http.Error(w, `{"error":{"message":"script over"}}`, 500)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		choice := map[string]any{"index": 0}
		for k, v := range turns[i] {
			choice[k] = v
		}
		json.NewEncoder(w).Encode(map[string]any{"id": "c", "object": "text_completion", "created": 1, "model": "m", "choices": []any{choice}})
	}))
	t.Cleanup(srv.Close)
	return srv, &bodies
}

func TestAskRemotePolicyLocalIndex(t *testing.T) {
	tokPath, indexDir := askFixtures(t)
	srv, bodies := scriptedLLM(t, []map[string]any{
		{"text": " <think> find the director </think> <search> Koza film director </search>", "finish_reason": "stop", "stop_reason": "</search>"},
		{"text": " <think> Deguzu Lelno </think> <answer> The final answer is \\[ \\boxed{Deguzu Lelno} \\] </answer>", "finish_reason": "stop", "stop_reason": nil},
	})
	out, _, err := runCLI(t, "", "ask", "Who directed Koza?", "--llm-url", srv.URL+"/v1", "--llm-model", "m",
		"--tokenizer", tokPath, "--index", indexDir, "--gold", "Deguzu Lelno", "--top-k", "2")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"<search> Koza film director </search> <result>\n\"Koza\"\nKoza is a 1981 film directed by Deguzu Lelno.",
		"\\boxed{Deguzu Lelno}",
		"1 searches",
		"reward 1: correct answer",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// The second turn's prompt holds the first turn and the inserted result.
	if len(*bodies) != 2 {
		t.Fatalf("%d policy requests, want 2", len(*bodies))
	}
	if len((*bodies)[1]["prompt"].([]any)) <= len((*bodies)[0]["prompt"].([]any)) {
		t.Error("the second request did not carry the first turn and the results")
	}
}

func TestAskFlagErrors(t *testing.T) {
	tokPath, indexDir := askFixtures(t)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"ask", "q", "--index", indexDir}, "give exactly one policy"},
		{[]string{"ask", "q", "--llm-url", "http://x", "--model", "m", "--index", indexDir}, "give exactly one policy"},
		{[]string{"ask", "q", "--llm-url", "http://x", "--tokenizer", tokPath}, "give exactly one retriever"},
		{[]string{"ask", "q", "--llm-url", "http://x", "--index", indexDir}, "needs --tokenizer"},
		{[]string{"ask", "q", "--llm-url", "http://x", "--tokenizer", tokPath, "--index", indexDir, "--template", "chat"}, "--template"},
		{[]string{"ask", "q", "--llm-url", "http://x", "--llm-model", "m", "--tokenizer", tokPath, "--index", "/nonexistent"}, "--index"},
		{[]string{"ask", "q", "--llm-url", "http://x", "--tokenizer", tokPath, "--index", indexDir, "--llm-api", "grpc"}, "--llm-api"},
	}
	for _, tt := range tests {
		_, _, err := runCLI(t, "", tt.args...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: error %v, want %q", tt.args, err, tt.want)
		}
	}
}

// TestAskDeadRetriever: ask against a search port with nothing listening
// fails within seconds with the cause, instead of answering around
// "search failed" and exiting 0 after 58 s.
func TestAskDeadRetriever(t *testing.T) {
	tokPath, _ := askFixtures(t)
	srv, _ := scriptedLLM(t, []map[string]any{
		{"text": " <think> find it </think> <search> Koza film director </search>", "finish_reason": "stop", "stop_reason": "</search>"},
		{"text": " <answer> \\boxed{x} </answer>", "finish_reason": "stop", "stop_reason": nil},
	})
	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL := dead.URL
	dead.Close()
	start := time.Now()
	_, _, err := runCLI(t, "", "ask", "Who directed Koza?", "--llm-url", srv.URL+"/v1", "--llm-model", "m",
		"--tokenizer", tokPath, "--search-url", deadURL)
	if err == nil || !strings.Contains(err.Error(), "connection refused") || !strings.Contains(err.Error(), "Koza film director") {
		t.Fatalf("error %v, want the failed search and its cause", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %v to report a dead retriever", d)
	}
	if exitCode(err) == 0 {
		t.Error("exit status 0")
	}
}
