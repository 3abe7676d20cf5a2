package server

import (
	"encoding/json"
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"research/generate"
	"research/internal/tinymodel"
	"research/model"
)

// FuzzRequests sends arbitrary bodies to both generation routes, streamed
// or not as the body says: the answer must never be a 5xx or a panic, and
// an error must be an OpenAI error object. max_tokens is what the body
// says, but the context of 128 positions bounds the work of one input.
func FuzzRequests(f *testing.F) {
	for _, s := range []string{
		`{"prompt": "hi", "max_tokens": 2}`,
		`{"prompt": [1, 2, 3], "max_tokens": 2, "stream": true}`,
		`{"prompt": ["a", [5]], "n": 2, "max_tokens": 1, "logprobs": 1}`,
		`{"messages": [{"role": "system", "content": "s"}, {"role": "user", "content": "x"}], "max_tokens": 2, "stream": true}`,
		`{"prompt": "x", "top_k": -5}`,
		`{"prompt": "x", "stop": ["a", ""], "max_tokens": 3}`,
		`{"prompt": "x", "temprature": 1}`,
		`{"prompt": "x", "seed": -1}`,
		`{`, `null`, `[]`, `{"prompt": "x", "max_tokens": 1e400}`,
	} {
		f.Add(uint8(0), s)
		f.Add(uint8(1), s)
	}
	srv := fuzzServer(f)
	f.Fuzz(func(t *testing.T, route uint8, body string) {
		path := []string{"/v1/completions", "/v1/chat/completions"}[route%2]
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, httptest.NewRequest("POST", path, strings.NewReader(body)))
		out, _ := io.ReadAll(rec.Body)
		if rec.Code >= 500 {
			t.Fatalf("POST %s %q: status %d %s", path, body, rec.Code, out)
		}
		if rec.Code != 200 {
			var e struct{ Error struct{ Message string } }
			if err := json.Unmarshal(out, &e); err != nil || e.Error.Message == "" {
				t.Fatalf("POST %s %q: status %d without an OpenAI error: %q", path, body, rec.Code, out)
			}
		}
	})
}

// fuzzServer is the tiny model's server, called in process: no sockets
// between the fuzzer and the decoding it fuzzes.
func fuzzServer(tb testing.TB) *Server {
	tb.Helper()
	m, err := model.Load(tinymodel.Dir())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { m.Close() })
	tok, err := tinymodel.Tokenizer()
	if err != nil {
		tb.Fatal(err)
	}
	dec := generate.DecoderFunc(func(ids []int) string { s, _ := tok.Decode(ids, false); return s })
	e, err := generate.NewEngine(m, generate.Options{Decoder: dec})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(e.Close)
	s, err := New(Config{Engine: e, Tokenizer: tok, ModelName: "tiny", EOSIDs: []int{tinymodel.EndOfText}, MaxContext: 128, Log: io.Discard})
	if err != nil {
		tb.Fatal(err)
	}
	return s
}
