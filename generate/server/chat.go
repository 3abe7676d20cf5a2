package server

import (
	"net/http"
	"time"

	"research/protocol"
	"research/tokenizer"
)

type chatRequest struct {
	params
	Messages    []tokenizer.Message `json:"messages"`
	Logprobs    bool                `json:"logprobs"`
	TopLogprobs *int                `json:"top_logprobs"`
	// ResponseFormat is known so that {"type": "text"}, which asks for
	// nothing, is served; a JSON mode is refused.
	ResponseFormat *struct {
		Type string `json:"type"`
	} `json:"response_format"`
}

// checkChat checks the fields only chat has, with OpenAI's limits.
func (req *chatRequest) checkChat() error {
	if k := req.TopLogprobs; k != nil {
		if *k < 0 || *k > 20 {
			return badRequest("top_logprobs", "top_logprobs must be between 0 and 20, got %d", *k)
		}
		if *k > 0 && !req.Logprobs {
			return badRequest("top_logprobs", "top_logprobs needs logprobs: true")
		}
	}
	if f := req.ResponseFormat; f != nil && f.Type != "text" {
		return badRequest("response_format", "response_format %q is not supported (only \"text\")", f.Type)
	}
	return nil
}

// handleChat renders the messages with Qwen2.5's chat template and
// continues from the assistant header; generation ends at <|im_end|>.
func (s *Server) handleChat(w http.ResponseWriter, r *http.Request) error {
	var req chatRequest
	if err := s.decodeBody(r, &req); err != nil {
		return err
	}
	if len(req.Messages) == 0 {
		return badRequest("messages", "messages must not be empty")
	}
	text, err := tokenizer.QwenChat(req.Messages, true)
	if err != nil {
		return badRequest("messages", "%v", err)
	}
	prompt := s.cfg.Tokenizer.Encode(text)
	defaultMax := 16
	if s.cfg.MaxContext > len(prompt) {
		defaultMax = s.cfg.MaxContext - len(prompt)
	}
	st, err := s.check(req.params, 1, len(prompt), defaultMax)
	if err != nil {
		return err
	}
	if err := req.checkChat(); err != nil {
		return err
	}
	for _, tok := range protocol.StopTokens {
		if id, ok := s.cfg.Tokenizer.TokenID(tok); ok && !req.IgnoreEOS {
			st.stopIDs = append(st.stopIDs, id)
		}
	}
	id, created, model := newID("chatcmpl-"), time.Now().Unix(), s.modelName(req.Model)
	if st.stream {
		return s.streamChat(w, r, prompt, st, id, created, model)
	}
	choices, err := s.run(r.Context(), [][]int{prompt}, st, nil)
	if err != nil {
		return err
	}
	out := make([]any, len(choices))
	completion := 0
	for i, c := range choices {
		completion += len(c.res.Tokens)
		ch := map[string]any{"index": i, "message": map[string]any{"role": "assistant", "content": c.text},
			"finish_reason": c.finish, "stop_reason": c.stopReason, "logprobs": nil}
		if req.Logprobs {
			ch["logprobs"] = s.chatLogprobs(c.res.Tokens, c.res.Logprobs, st.tokenIDs, req.TopLogprobs != nil && *req.TopLogprobs > 0)
		}
		out[i] = ch
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": id, "object": "chat.completion", "created": created, "model": model,
		"choices": out, "usage": usage([][]int{prompt}, st.n, completion)})
	return nil
}

// chatLogprobs is chat's logprobs object; with top set, top_logprobs holds
// the sampled token only (see the package doc).
func (s *Server) chatLogprobs(ids []int, lps []float64, asIDs, top bool) map[string]any {
	tokens := s.tokenStrings(ids, asIDs)
	content := make([]any, len(ids))
	for i, t := range tokens {
		tops := []any{}
		if top {
			tops = append(tops, map[string]any{"token": t, "logprob": lps[i], "bytes": byteList(t)})
		}
		content[i] = map[string]any{"token": t, "logprob": lps[i], "bytes": byteList(t), "top_logprobs": tops}
	}
	return map[string]any{"content": content}
}

func (s *Server) streamChat(w http.ResponseWriter, r *http.Request, prompt []int, st settings, id string, created int64, model string) error {
	events := make(chan event, st.n*(st.maxTokens+1))
	errc := make(chan error, 1)
	go func() {
		_, err := s.run(r.Context(), [][]int{prompt}, st, events)
		errc <- err
		close(events)
	}()
	send := sse(w)
	sr := newStreamer(s, st, st.n)
	chunk := func(i int, delta map[string]any, finish any) {
		send(map[string]any{"id": id, "object": "chat.completion.chunk", "created": created, "model": model,
			"choices": []any{map[string]any{"index": i, "delta": delta, "finish_reason": finish, "logprobs": nil}}})
	}
	for i := 0; i < st.n; i++ {
		chunk(i, map[string]any{"role": "assistant", "content": ""}, nil)
	}
	for ev := range events {
		if ev.done != nil {
			chunk(ev.choice, map[string]any{"content": sr.rest(ev.done)}, ev.done.finish)
			continue
		}
		if d := sr.delta(ev.choice, ev.token.ID); d != "" {
			chunk(ev.choice, map[string]any{"content": d}, nil)
		}
	}
	if err := <-errc; err != nil {
		send(map[string]any{"error": map[string]any{"message": err.Error(), "type": "server_error"}})
	}
	send(nil)
	return nil
}

// byteList is a token's UTF-8 bytes as OpenAI writes them: a list of
// integers ([]byte would marshal as base64).
func byteList(t string) []int {
	out := make([]int, len(t))
	for i := range len(t) {
		out[i] = int(t[i])
	}
	return out
}
