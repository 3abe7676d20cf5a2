package server

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestFieldRules is the regression test for issue 19.6's silent
// acceptance: top_k -5, top_logprobs 1000 and unknown fields were served
// as if absent. Each is now a 400 whose param names the field, while the
// neutral values OpenAI SDKs send are still served.
func TestFieldRules(t *testing.T) {
	srv, _ := newTestServerWith(t, func(c *Config) { c.MaxSequences = 8 })
	chat := []map[string]string{{"role": "system", "content": "s"}, {"role": "user", "content": "hi"}}
	tests := []struct {
		name   string
		path   string
		body   map[string]any
		status int
		param  string // the field the error must name
	}{
		{"top_k -5", "/v1/completions", map[string]any{"prompt": "x", "top_k": -5}, 400, "top_k"},
		{"top_k -1 means all", "/v1/completions", map[string]any{"prompt": "x", "top_k": -1, "max_tokens": 1}, 200, ""},
		{"top_k 0 means all", "/v1/completions", map[string]any{"prompt": "x", "top_k": 0, "max_tokens": 1}, 200, ""},
		{"top_logprobs 1000", "/v1/chat/completions", map[string]any{"messages": chat, "logprobs": true, "top_logprobs": 1000}, 400, "top_logprobs"},
		{"top_logprobs -1", "/v1/chat/completions", map[string]any{"messages": chat, "logprobs": true, "top_logprobs": -1}, 400, "top_logprobs"},
		{"top_logprobs without logprobs", "/v1/chat/completions", map[string]any{"messages": chat, "top_logprobs": 2}, 400, "top_logprobs"},
		{"top_logprobs 20", "/v1/chat/completions", map[string]any{"messages": chat, "logprobs": true, "top_logprobs": 20, "max_tokens": 1}, 200, ""},
		{"unknown field", "/v1/completions", map[string]any{"prompt": "x", "temprature": 0}, 400, "temprature"},
		{"unknown field in chat", "/v1/chat/completions", map[string]any{"messages": chat, "tools": []any{}}, 400, "tools"},
		{"wrong type names its field", "/v1/completions", map[string]any{"prompt": "x", "seed": -1}, 400, "seed"},
		{"presence_penalty 0 is served", "/v1/completions", map[string]any{"prompt": "x", "presence_penalty": 0, "user": "u", "max_tokens": 1}, 200, ""},
		{"presence_penalty 0.5", "/v1/completions", map[string]any{"prompt": "x", "presence_penalty": 0.5}, 400, "presence_penalty"},
		{"repetition_penalty 1.1", "/v1/completions", map[string]any{"prompt": "x", "repetition_penalty": 1.1}, 400, "repetition_penalty"},
		{"logit_bias", "/v1/completions", map[string]any{"prompt": "x", "logit_bias": map[string]float64{"1": 5}}, 400, "logit_bias"},
		{"response_format text", "/v1/chat/completions", map[string]any{"messages": chat, "response_format": map[string]string{"type": "text"}, "max_tokens": 1}, 200, ""},
		{"response_format json", "/v1/chat/completions", map[string]any{"messages": chat, "response_format": map[string]string{"type": "json_object"}}, 400, "response_format"},
		{"prompts × n over the cap", "/v1/completions", map[string]any{"prompt": []string{"a", "b", "c"}, "n": 3}, 400, "n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, out := post(t, srv.URL+tt.path, tt.body)
			if status != tt.status {
				t.Fatalf("status %d, want %d: %v", status, tt.status, out)
			}
			if tt.status == 200 {
				return
			}
			e, _ := out["error"].(map[string]any)
			if e["param"] != tt.param || !strings.Contains(e["message"].(string), tt.param) {
				t.Errorf("error %v does not name %q", e, tt.param)
			}
		})
	}
}

// TestTopLogprobsListsTheSampledToken checks what the package doc
// promises: with top_logprobs the list holds the sampled token, with its
// bytes as integers as OpenAI writes them.
func TestTopLogprobsListsTheSampledToken(t *testing.T) {
	srv, _ := newTestServer(t, "")
	status, out := post(t, srv.URL+"/v1/chat/completions", map[string]any{"max_tokens": 2, "logprobs": true, "top_logprobs": 3,
		"messages": []map[string]string{{"role": "system", "content": "s"}, {"role": "user", "content": "hi"}}})
	if status != 200 {
		t.Fatalf("status %d %v", status, out)
	}
	first := out["choices"].([]any)[0].(map[string]any)["logprobs"].(map[string]any)["content"].([]any)[0].(map[string]any)
	tops := first["top_logprobs"].([]any)
	if len(tops) != 1 || tops[0].(map[string]any)["token"] != first["token"] {
		t.Errorf("top_logprobs %v, want the sampled token %q", tops, first["token"])
	}
	if _, ok := first["bytes"].([]any); !ok {
		t.Errorf("bytes %#v, want a list of integers", first["bytes"])
	}
}

func TestIgnoreUnknownFields(t *testing.T) {
	srv, _ := newTestServerWith(t, func(c *Config) { c.IgnoreUnknownFields = true })
	status, out := post(t, srv.URL+"/v1/completions", map[string]any{"prompt": "x", "max_tokens": 1, "temprature": 0})
	if status != 200 {
		t.Errorf("with IgnoreUnknownFields: %d %v", status, out)
	}
}

// TestBareKeyRefused is the regression test for issue 19.6's key check:
// serve-model trimmed an optional "Bearer " and so took the bare key.
func TestBareKeyRefused(t *testing.T) {
	srv, _ := newTestServer(t, "secret")
	tests := []struct {
		auth string
		want int
	}{{"", 401}, {"secret", 401}, {"Bearer wrong", 401}, {"Basic secret", 401}, {"Bearer secret", 200}}
	for _, tt := range tests {
		req, _ := http.NewRequest("POST", srv.URL+"/v1/completions", strings.NewReader(`{"prompt":"x","max_tokens":1}`))
		if tt.auth != "" {
			req.Header.Set("Authorization", tt.auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body struct{ Error map[string]any }
		json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != tt.want {
			t.Errorf("Authorization %q: status %d, want %d", tt.auth, resp.StatusCode, tt.want)
		}
		if tt.want == 401 && (resp.Header.Get("WWW-Authenticate") != "Bearer" || body.Error["message"] == nil) {
			t.Errorf("Authorization %q: 401 without WWW-Authenticate or an OpenAI error body", tt.auth)
		}
	}
}

// TestMetrics is the regression test for issue 19.6's missing gauges:
// serve-model had no /metrics at all.
func TestMetrics(t *testing.T) {
	srv, _ := newTestServerWith(t, func(c *Config) { c.MaxInFlight = 7 })
	post(t, srv.URL+"/v1/completions", map[string]any{"prompt": "x", "max_tokens": 1})
	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	m, _ := io.ReadAll(resp.Body)
	for _, want := range []string{
		`research_model_requests_total{route="/v1/completions",code="200"} 1`,
		"research_model_in_flight_requests 0\n",
		"research_model_in_flight_limit 7\n",
		"go_goroutines ",
		"go_memstats_heap_alloc_bytes ",
	} {
		if !bytes.Contains(m, []byte(want)) {
			t.Errorf("/metrics lacks %q:\n%s", want, m)
		}
	}
}
