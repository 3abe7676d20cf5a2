package server

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"research/internal/tinymodel"

	"research/generate"
	"research/model"
	"research/tokenizer"
)

// Prompt and greedy continuation of model/testdata/tiny (reference.json,
// float64 numpy; the model package checks it against llama.cpp too).
var (
	tinyPrompt = []int{10, 200, 33, 7, 150, 42, 99, 1}
	tinyGreedy = []int{199, 11, 160, 150, 232, 69, 133, 99, 76, 255, 141, 206}
)

// byteTokenizer returns a tokenizer of the tiny model's 258 ids: the bytes,
// then <|endoftext|> (256) and <|im_end|> (257).
func byteTokenizer(t *testing.T) *tokenizer.Tokenizer {
	t.Helper()
	tok, err := tinymodel.Tokenizer()
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func newTestServer(t *testing.T, apiKey string) (*httptest.Server, *tokenizer.Tokenizer) {
	t.Helper()
	return newTestServerWith(t, func(c *Config) { c.APIKey = apiKey })
}

// newTestServerWith serves the tiny model with a config that edit may
// change.
func newTestServerWith(t *testing.T, edit func(*Config)) (*httptest.Server, *tokenizer.Tokenizer) {
	t.Helper()
	m, err := model.Load(tinymodel.Dir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	tok := byteTokenizer(t)
	dec := generate.DecoderFunc(func(ids []int) string { s, _ := tok.Decode(ids, false); return s })
	e, err := generate.NewEngine(m, generate.Options{Decoder: dec})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	cfg := Config{Engine: e, Tokenizer: tok, ModelName: "tiny", EOSIDs: []int{256}, MaxContext: 128}
	edit(&cfg)
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return srv, tok
}

func post(t *testing.T, url string, body any) (int, map[string]any) {
	t.Helper()
	data, _ := json.Marshal(body)
	resp, err := http.Post(url, "application/json", bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("response body: %v", err)
	}
	return resp.StatusCode, out
}

func ids(v any) []int {
	var out []int
	for _, x := range v.([]any) {
		s := x.(string)
		var id int
		json.Unmarshal([]byte(strings.TrimPrefix(s, "token_id:")), &id)
		out = append(out, id)
	}
	return out
}

func TestCompletionsGreedyMatchesReference(t *testing.T) {
	srv, tok := newTestServer(t, "")
	status, out := post(t, srv.URL+"/v1/completions", map[string]any{"model": "tiny", "prompt": tinyPrompt,
		"max_tokens": len(tinyGreedy), "temperature": 0, "logprobs": 0, "return_tokens_as_token_ids": true, "ignore_eos": true})
	if status != 200 {
		t.Fatalf("status %d: %v", status, out)
	}
	c := out["choices"].([]any)[0].(map[string]any)
	lp := c["logprobs"].(map[string]any)
	if got := ids(lp["tokens"]); !reflect.DeepEqual(got, tinyGreedy) {
		t.Errorf("tokens %v, want %v", got, tinyGreedy)
	}
	want, _ := tok.Decode(tinyGreedy, true)
	if c["text"] != want || c["finish_reason"] != "length" {
		t.Errorf("text %q finish %v, want %q length", c["text"], c["finish_reason"], want)
	}
	if u := out["usage"].(map[string]any); u["prompt_tokens"] != 8.0 || u["completion_tokens"] != 12.0 {
		t.Errorf("usage %v", u)
	}
}

func TestCompletionsStopString(t *testing.T) {
	srv, tok := newTestServer(t, "")
	full, _ := tok.Decode(tinyGreedy, true)
	stop := "cL" // spelled by tokens 99 and 76 of the greedy continuation
	for _, include := range []bool{false, true} {
		status, out := post(t, srv.URL+"/v1/completions", map[string]any{"prompt": tinyPrompt, "max_tokens": 12,
			"temperature": 0, "stop": stop, "ignore_eos": true, "include_stop_str_in_output": include})
		if status != 200 {
			t.Fatalf("status %d: %v", status, out)
		}
		c := out["choices"].([]any)[0].(map[string]any)
		want := full[:strings.Index(full, stop)]
		if include {
			want += stop
		}
		if c["text"] != want || c["finish_reason"] != "stop" || c["stop_reason"] != stop {
			t.Errorf("include=%v: text %q finish %v stop_reason %v; want %q stop %q", include, c["text"], c["finish_reason"], c["stop_reason"], want, stop)
		}
	}
}

// readSSE returns the data payloads of a server-sent-event stream.
func readSSE(t *testing.T, body io.Reader) []string {
	t.Helper()
	var out []string
	sc := bufio.NewScanner(body)
	for sc.Scan() {
		if line, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
			out = append(out, line)
		}
	}
	return out
}

func TestStreamingEqualsWhole(t *testing.T) {
	srv, _ := newTestServer(t, "")
	req := map[string]any{"prompt": tinyPrompt, "max_tokens": 12, "temperature": 0.8, "seed": 5, "n": 2, "stop": []string{"zz"}}
	_, whole := post(t, srv.URL+"/v1/completions", req)
	req["stream"] = true
	data, _ := json.Marshal(req)
	resp, err := http.Post(srv.URL+"/v1/completions", "application/json", bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	events := readSSE(t, resp.Body)
	if len(events) == 0 || events[len(events)-1] != "[DONE]" {
		t.Fatalf("stream %q does not end with [DONE]", events)
	}
	texts, finished := map[float64]string{}, map[float64]any{}
	for _, e := range events[:len(events)-1] {
		var chunk map[string]any
		if err := json.Unmarshal([]byte(e), &chunk); err != nil {
			t.Fatal(err)
		}
		c := chunk["choices"].([]any)[0].(map[string]any)
		texts[c["index"].(float64)] += c["text"].(string)
		if c["finish_reason"] != nil {
			finished[c["index"].(float64)] = c["finish_reason"]
		}
	}
	for _, ch := range whole["choices"].([]any) {
		c := ch.(map[string]any)
		i := c["index"].(float64)
		if texts[i] != c["text"] || finished[i] != c["finish_reason"] {
			t.Errorf("choice %v: streamed %q (%v), whole %q (%v)", i, texts[i], finished[i], c["text"], c["finish_reason"])
		}
	}
}

func TestChat(t *testing.T) {
	srv, _ := newTestServer(t, "")
	req := map[string]any{"model": "tiny", "messages": []map[string]string{{"role": "system", "content": "s"}, {"role": "user", "content": "hi"}},
		"max_tokens": 10, "temperature": 1, "seed": 3, "n": 2, "logprobs": true}
	sa, a := post(t, srv.URL+"/v1/chat/completions", req)
	sb, b := post(t, srv.URL+"/v1/chat/completions", req)
	if sa != 200 || sb != 200 {
		t.Fatalf("status %d %v, %d %v", sa, a, sb, b)
	}
	// The same seed samples the same tokens; logprobs agree to float32
	// rounding, which depends on which sequences shared a forward.
	ca, cb := a["choices"].([]any), b["choices"].([]any)
	if len(ca) != 2 || len(cb) != 2 {
		t.Fatalf("choices %v, %v", ca, cb)
	}
	for i := range ca {
		ma, mb := ca[i].(map[string]any)["message"], cb[i].(map[string]any)["message"]
		if !reflect.DeepEqual(ma, mb) {
			t.Errorf("choice %d: two seeded calls differ: %v, %v", i, ma, mb)
		}
	}
	msg := ca[0].(map[string]any)["message"].(map[string]any)
	if msg["role"] != "assistant" || reflect.DeepEqual(msg, ca[1].(map[string]any)["message"]) {
		t.Errorf("choices %v", ca)
	}
	if lp := ca[0].(map[string]any)["logprobs"].(map[string]any)["content"].([]any); len(lp) == 0 {
		t.Error("no logprobs")
	}
}

func TestErrors(t *testing.T) {
	srv, _ := newTestServer(t, "")
	tests := []struct {
		path   string
		body   any
		status int
		want   string
	}{
		{"/v1/completions", map[string]any{"prompt": "x", "model": "gpt-4"}, 404, "not served"},
		{"/v1/completions", map[string]any{"prompt": "x", "n": 99}, 400, "n must be"},
		{"/v1/completions", map[string]any{"prompt": []int{1, 999}}, 400, "outside the vocabulary"},
		{"/v1/completions", map[string]any{"prompt": "x", "echo": true}, 400, "echo"},
		{"/v1/completions", map[string]any{"prompt": "x", "max_tokens": 500}, 400, "context"},
		{"/v1/completions", map[string]any{"prompt": "x", "temperature": -1}, 400, "temperature"},
		{"/v1/completions", map[string]any{"prompt": "x", "stop": 3}, 400, "stop"},
		{"/v1/completions", map[string]any{}, 400, "prompt is required"},
		{"/v1/completions", map[string]any{"prompt": []any{}}, 400, "prompt must be"},
		{"/v1/chat/completions", map[string]any{"messages": []any{}}, 400, "messages"},
		{"/v1/chat/completions", map[string]any{"messages": []map[string]string{{"role": "wizard", "content": "x"}}}, 400, "role"},
		{"/v1/nothing", map[string]any{}, 404, "no route"},
	}
	for _, tt := range tests {
		status, out := post(t, srv.URL+tt.path, tt.body)
		msg, _ := out["error"].(map[string]any)["message"].(string)
		if status != tt.status || !strings.Contains(msg, tt.want) {
			t.Errorf("%s %v: %d %q, want %d %q", tt.path, tt.body, status, msg, tt.status, tt.want)
		}
	}
	resp, _ := http.Post(srv.URL+"/v1/completions", "application/json", strings.NewReader("{nope"))
	if resp.StatusCode != 400 {
		t.Errorf("malformed JSON: %d", resp.StatusCode)
	}
	resp.Body.Close()

	locked, _ := newTestServer(t, "secret")
	status, _ := post(t, locked.URL+"/v1/completions", map[string]any{"prompt": "x"})
	if status != 401 {
		t.Errorf("no API key: status %d", status)
	}
	req, _ := http.NewRequest("POST", locked.URL+"/v1/completions", strings.NewReader(`{"prompt":"x","max_tokens":1}`))
	req.Header.Set("Authorization", "Bearer secret")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Errorf("with the API key: %v %v", err, resp.StatusCode)
	}
	resp.Body.Close()
}
