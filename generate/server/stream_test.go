package server

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
)

// streamText posts req with "stream": true and returns the text the chunks
// spell (completions' "text" or chat's delta "content"), the last
// finish_reason and whether the stream ended with [DONE].
func streamText(url string, req map[string]any, chat bool) (text string, finish any, done bool, err error) {
	data, _ := json.Marshal(req)
	resp, err := http.Post(url, "application/json", bytes.NewReader(data))
	if err != nil {
		return "", nil, false, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return "", nil, false, fmt.Errorf("status %d", resp.StatusCode)
	}
	var events []string
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if line, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
			events = append(events, line)
		}
	}
	for i, e := range events {
		if e == "[DONE]" {
			return text, finish, i == len(events)-1, nil
		}
		var chunk struct {
			Error   any `json:"error"`
			Choices []struct {
				Text   string `json:"text"`
				Delta  struct{ Content string }
				Finish any `json:"finish_reason"`
			} `json:"choices"`
		}
		if err := json.Unmarshal([]byte(e), &chunk); err != nil {
			return "", nil, false, fmt.Errorf("event %q: %w", e, err)
		}
		if chunk.Error != nil {
			return "", nil, false, fmt.Errorf("stream error %v", chunk.Error)
		}
		for _, c := range chunk.Choices {
			if chat {
				text += c.Delta.Content
			} else {
				text += c.Text
			}
			if c.Finish != nil {
				finish = c.Finish
			}
		}
	}
	return text, finish, false, nil
}

// TestStreamWithoutStopString is the regression test for issue 19.1:
// a streamed request without a stop string indexed one byte past the text
// in streamer.delta and panicked, so completions came back empty and chat
// stopped after the role chunk. Many run at once, as in the report, and
// each must spell exactly the text of the same request unstreamed.
func TestStreamWithoutStopString(t *testing.T) {
	srv, _ := newTestServer(t, "")
	tests := []struct {
		name string
		path string
		chat bool
		req  map[string]any
	}{
		{"completions", "/v1/completions", false, map[string]any{"prompt": tinyPrompt, "max_tokens": 12, "temperature": 0, "ignore_eos": true}},
		{"completions, text prompt", "/v1/completions", false, map[string]any{"prompt": "hi", "max_tokens": 6, "temperature": 0}},
		{"chat", "/v1/chat/completions", true, map[string]any{"messages": []map[string]string{{"role": "system", "content": "s"}, {"role": "user", "content": "hi"}}, "max_tokens": 8, "temperature": 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, whole := post(t, srv.URL+tt.path, tt.req)
			if status != 200 {
				t.Fatalf("unstreamed: status %d %v", status, whole)
			}
			c := whole["choices"].([]any)[0].(map[string]any)
			want := c["text"]
			if tt.chat {
				want = c["message"].(map[string]any)["content"]
			}
			if want == "" {
				t.Fatal("the unstreamed text is empty: the comparison would prove nothing")
			}
			req := map[string]any{"stream": true}
			for k, v := range tt.req {
				req[k] = v
			}
			const streams = 16
			var wg sync.WaitGroup
			errs := make([]error, streams)
			for i := range streams {
				wg.Add(1)
				go func() {
					defer wg.Done()
					text, finish, done, err := streamText(srv.URL+tt.path, req, tt.chat)
					switch {
					case err != nil:
						errs[i] = err
					case !done:
						errs[i] = fmt.Errorf("stream cut before [DONE] after %q", text)
					case text != want || finish != c["finish_reason"]:
						errs[i] = fmt.Errorf("streamed %q (%v), unstreamed %q (%v)", text, finish, want, c["finish_reason"])
					}
				}()
			}
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Errorf("stream %d: %v", i, err)
				}
			}
		})
	}
}
