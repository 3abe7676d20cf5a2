package policy

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"research/rollout"
	"research/rollout/rollouttest"
)

var tok = rollouttest.ByteTokenizer{}

// fakeServer answers every POST with reply and records the decoded body.
func fakeServer(t *testing.T, status int, reply any) (*httptest.Server, *map[string]any) {
	t.Helper()
	var body map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			t.Errorf("request body: %v", err)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(reply)
	}))
	t.Cleanup(srv.Close)
	return srv, &body
}

func completionReply(choice map[string]any) map[string]any {
	choice["index"] = 0
	return map[string]any{"id": "cmpl-1", "object": "text_completion", "created": 1, "model": "m", "choices": []any{choice}}
}

func idTokens(text string, extra ...int) []string {
	var out []string
	for _, id := range append(tok.Encode(text), extra...) {
		out = append(out, "token_id:"+itoa(id))
	}
	return out
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func logprobsOf(n int, v float64) []float64 {
	lp := make([]float64, n)
	for i := range lp {
		lp[i] = v
	}
	return lp
}

var searchReq = rollout.Request{Key: "0/0", Tokens: tok.Encode("Q: x? A:"), MaxTokens: 100,
	StopIDs: []int{rollouttest.IMEnd, rollouttest.EndOfText}, StopStrings: []string{"</search>"}}

func TestOpenAIVLLM(t *testing.T) {
	const text = " <search> q </search>"
	tests := []struct {
		name   string
		choice map[string]any
		want   rollout.Completion
	}{
		{"stop string, exact ids", map[string]any{"text": text, "finish_reason": "stop", "stop_reason": "</search>",
			"logprobs": map[string]any{"tokens": idTokens(text), "token_logprobs": logprobsOf(len(text), -0.25)}},
			rollout.Completion{Tokens: tok.Encode(text), Logprobs: logprobsOf(len(text), -0.25), Finish: "stop", StopID: -1, StopString: "</search>"}},
		{"EOS id in the ids", map[string]any{"text": "done", "finish_reason": "stop", "stop_reason": nil,
			"logprobs": map[string]any{"tokens": idTokens("done", rollouttest.IMEnd), "token_logprobs": logprobsOf(5, -0.25)}},
			rollout.Completion{Tokens: append(tok.Encode("done"), rollouttest.IMEnd), Logprobs: logprobsOf(5, -0.25), Finish: "stop", StopID: rollouttest.IMEnd}},
		{"stop id named, stripped from text", map[string]any{"text": "done", "finish_reason": "stop", "stop_reason": rollouttest.EndOfText},
			rollout.Completion{Tokens: append(tok.Encode("done"), rollouttest.EndOfText), Finish: "stop", StopID: rollouttest.EndOfText}},
		{"trimmed stop string re-appended", map[string]any{"text": " <search> q ", "finish_reason": "stop", "matched_stop": "</search>"},
			rollout.Completion{Tokens: tok.Encode(text), Finish: "stop", StopID: -1, StopString: "</search>"}},
		{"length", map[string]any{"text": "abc", "finish_reason": "length"},
			rollout.Completion{Tokens: tok.Encode("abc"), Finish: "length", StopID: -1}},
	}
	for _, tt := range tests {
		srv, body := fakeServer(t, 200, completionReply(tt.choice))
		p, err := NewOpenAI(OpenAIConfig{BaseURL: srv.URL + "/v1", Model: "m", Temperature: 1, TokenPrompt: true}, tok)
		if err != nil {
			t.Fatal(err)
		}
		got, err := p.Generate(context.Background(), searchReq)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", tt.name, got, tt.want)
		}
		b := *body
		if b["max_tokens"] != 100.0 || b["include_stop_str_in_output"] != true || b["return_tokens_as_token_ids"] != true ||
			!reflect.DeepEqual(b["stop"], []any{"</search>"}) || len(b["prompt"].([]any)) != len(searchReq.Tokens) {
			t.Errorf("%s: request body %v", tt.name, b)
		}
	}
}

func TestOpenAIPlainText(t *testing.T) {
	srv, body := fakeServer(t, 200, completionReply(map[string]any{"text": "the end", "finish_reason": "stop"}))
	p, _ := NewOpenAI(OpenAIConfig{BaseURL: srv.URL, Model: "m", Plain: true}, tok)
	got, err := p.Generate(context.Background(), searchReq)
	if err != nil {
		t.Fatal(err)
	}
	if (*body)["prompt"] != "Q: x? A:" || (*body)["stop_token_ids"] != nil {
		t.Errorf("plain request body %v", *body)
	}
	// A plain server that names no stop reason: no stop string at the end
	// means EOS, and the EOS id is appended for the reward.
	want := rollout.Completion{Tokens: append(tok.Encode("the end"), rollouttest.IMEnd), Finish: "stop", StopID: rollouttest.IMEnd}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

func TestOpenAIErrors(t *testing.T) {
	srv, _ := fakeServer(t, 500, map[string]any{"error": map[string]any{"message": "boom"}})
	p, _ := NewOpenAI(OpenAIConfig{BaseURL: srv.URL, Model: "m"}, tok)
	if _, err := p.Generate(context.Background(), searchReq); err == nil || !strings.Contains(err.Error(), srv.URL) {
		t.Errorf("server error: %v", err)
	}
	srv, _ = fakeServer(t, 200, completionReply(map[string]any{"text": strings.Repeat("x", 200), "finish_reason": "length"}))
	p, _ = NewOpenAI(OpenAIConfig{BaseURL: srv.URL, Model: "m"}, tok)
	if _, err := p.Generate(context.Background(), searchReq); err == nil || !strings.Contains(err.Error(), "max_tokens") {
		t.Errorf("over-long answer: %v", err)
	}
	if _, err := NewOpenAI(OpenAIConfig{}, tok); err == nil {
		t.Error("empty config accepted")
	}
}

func sglangReply(text string, finish map[string]any, ids ...int) map[string]any {
	var lps [][]any
	for _, id := range ids {
		lps = append(lps, []any{-0.5, id, nil})
	}
	return map[string]any{"text": text, "meta_info": map[string]any{"finish_reason": finish, "output_token_logprobs": lps}}
}

func TestSGLang(t *testing.T) {
	text := " <search> q </search>"
	tests := []struct {
		name  string
		reply map[string]any
		want  rollout.Completion
	}{
		{"stop string", sglangReply(text, map[string]any{"type": "stop", "matched": "</search>"}, tok.Encode(text)...),
			rollout.Completion{Tokens: tok.Encode(text), Logprobs: logprobsOf(len(text), -0.5), Finish: "stop", StopID: -1, StopString: "</search>"}},
		{"stop id", sglangReply("ok", map[string]any{"type": "stop", "matched": rollouttest.IMEnd}, 'o', 'k', rollouttest.IMEnd),
			rollout.Completion{Tokens: []int{'o', 'k', rollouttest.IMEnd}, Logprobs: logprobsOf(3, -0.5), Finish: "stop", StopID: rollouttest.IMEnd}},
		{"length", sglangReply("ab", map[string]any{"type": "length", "length": 2}, 'a', 'b'),
			rollout.Completion{Tokens: []int{'a', 'b'}, Logprobs: logprobsOf(2, -0.5), Finish: "length", StopID: -1}},
	}
	for _, tt := range tests {
		srv, body := fakeServer(t, 200, tt.reply)
		p, _ := NewSGLang(SGLangConfig{URL: srv.URL, Temperature: 1})
		got, err := p.Generate(context.Background(), searchReq)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", tt.name, got, tt.want)
		}
		sp := (*body)["sampling_params"].(map[string]any)
		if sp["max_new_tokens"] != 100.0 || sp["no_stop_trim"] != true || len((*body)["input_ids"].([]any)) != len(searchReq.Tokens) {
			t.Errorf("%s: request body %v", tt.name, *body)
		}
	}
	for name, reply := range map[string]any{
		"short entry": map[string]any{"text": "a", "meta_info": map[string]any{"finish_reason": map[string]any{"type": "length"}, "output_token_logprobs": [][]any{{-1.0}}}},
		"no logprobs": map[string]any{"text": "a", "meta_info": map[string]any{"finish_reason": map[string]any{"type": "length"}}},
		"odd finish":  sglangReply("a", map[string]any{"type": "abort"}, 'a'),
		"not json":    "nope",
	} {
		srv, _ := fakeServer(t, 200, reply)
		p, _ := NewSGLang(SGLangConfig{URL: srv.URL})
		if _, err := p.Generate(context.Background(), searchReq); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// blockingPolicy records which backend served a request and holds it until
// released.
type blockingPolicy struct {
	id      int
	release chan struct{}
	served  chan int
}

func (b blockingPolicy) Generate(ctx context.Context, req rollout.Request) (rollout.Completion, error) {
	b.served <- b.id
	<-b.release
	return rollout.Completion{StopID: -1, Finish: "length"}, nil
}

func TestRouterLeastLoaded(t *testing.T) {
	release, served := make(chan struct{}), make(chan int, 10)
	r, err := NewRouter(blockingPolicy{0, release, served}, blockingPolicy{1, release, served}, blockingPolicy{2, release, served})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	counts := make([]int, 3)
	for i := range 6 {
		wg.Add(1)
		go func() { defer wg.Done(); r.Generate(context.Background(), rollout.Request{Key: itoa(i)}) }()
		select {
		case b := <-served:
			counts[b]++
		case <-time.After(5 * time.Second):
			t.Fatal("request not served")
		}
	}
	close(release)
	wg.Wait()
	if !reflect.DeepEqual(counts, []int{2, 2, 2}) {
		t.Errorf("requests per backend %v, want 2 each", counts)
	}
	if _, err := NewRouter(); err == nil {
		t.Error("empty router accepted")
	}
}
