package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

type completionRequest struct {
	params
	Prompt   json.RawMessage `json:"prompt"`
	Logprobs *int            `json:"logprobs"`
	Echo     bool            `json:"echo"`
	Suffix   *string         `json:"suffix"`
}

// prompts reads "prompt": a string, a list of token ids, or a list of
// either (a batch).
func (s *Server) prompts(raw json.RawMessage) ([][]int, error) {
	var text string
	if json.Unmarshal(raw, &text) == nil {
		return [][]int{s.cfg.Tokenizer.Encode(text)}, nil
	}
	var ids []int
	if json.Unmarshal(raw, &ids) == nil && len(ids) > 0 {
		return [][]int{ids}, nil
	}
	var items []json.RawMessage
	if json.Unmarshal(raw, &items) != nil || len(items) == 0 {
		return nil, badRequest("prompt", "prompt must be a string, a list of token ids, or a non-empty list of those")
	}
	var out [][]int
	for i, it := range items {
		var t string
		var ids []int
		switch {
		case json.Unmarshal(it, &t) == nil:
			out = append(out, s.cfg.Tokenizer.Encode(t))
		case json.Unmarshal(it, &ids) == nil:
			out = append(out, ids)
		default:
			return nil, badRequest("prompt", "prompt[%d] must be a string or a list of token ids", i)
		}
	}
	return out, nil
}

func (s *Server) checkPrompts(prompts [][]int) error {
	vocab := s.cfg.Tokenizer.VocabSize()
	for i, p := range prompts {
		if len(p) == 0 {
			return badRequest("prompt", "prompt %d is empty", i)
		}
		for _, id := range p {
			if id < 0 || id >= vocab {
				return badRequest("prompt", "prompt %d holds token id %d, outside the vocabulary (%d)", i, id, vocab)
			}
		}
	}
	return nil
}

func (s *Server) handleCompletions(w http.ResponseWriter, r *http.Request) error {
	var req completionRequest
	if err := s.decodeBody(r, &req); err != nil {
		return err
	}
	if req.Echo || req.Suffix != nil {
		return badRequest("echo", "echo and suffix are not supported")
	}
	if len(req.Prompt) == 0 {
		return badRequest("prompt", "prompt is required")
	}
	prompts, err := s.prompts(req.Prompt)
	if err != nil {
		return err
	}
	if err := s.checkPrompts(prompts); err != nil {
		return err
	}
	longest := 0
	for _, p := range prompts {
		longest = max(longest, len(p))
	}
	st, err := s.check(req.params, len(prompts), longest, 16)
	if err != nil {
		return err
	}
	if req.Logprobs != nil && (*req.Logprobs < 0 || *req.Logprobs > 20) {
		return badRequest("logprobs", "logprobs must be between 0 and 20")
	}
	id, created, model := newID("cmpl-"), time.Now().Unix(), s.modelName(req.Model)
	if st.stream {
		return s.streamCompletions(w, r, prompts, st, req.Logprobs != nil, id, created, model)
	}
	choices, err := s.run(r.Context(), prompts, st, nil)
	if err != nil {
		return err
	}
	out := make([]any, len(choices))
	completion := 0
	for i, c := range choices {
		completion += len(c.res.Tokens)
		ch := map[string]any{"index": i, "text": c.text, "finish_reason": c.finish, "stop_reason": c.stopReason, "logprobs": nil}
		if req.Logprobs != nil {
			ch["logprobs"] = s.completionLogprobs(c.res.Tokens, c.res.Logprobs, st.tokenIDs)
		}
		out[i] = ch
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": id, "object": "text_completion", "created": created, "model": model,
		"choices": out, "usage": usage(prompts, st.n, completion)})
	return nil
}

// completionLogprobs is the legacy logprobs object; top_logprobs holds the
// sampled token only.
func (s *Server) completionLogprobs(ids []int, lps []float64, asIDs bool) map[string]any {
	tokens := s.tokenStrings(ids, asIDs)
	offsets := make([]int, len(ids))
	top := make([]map[string]float64, len(ids))
	off := 0
	for i, t := range tokens {
		offsets[i] = off
		off += len(t)
		top[i] = map[string]float64{t: lps[i]}
	}
	return map[string]any{"tokens": tokens, "token_logprobs": lps, "text_offset": offsets, "top_logprobs": top}
}

func usage(prompts [][]int, n, completion int) map[string]int {
	p := 0
	for _, x := range prompts {
		p += len(x) * n
	}
	return map[string]int{"prompt_tokens": p, "completion_tokens": completion, "total_tokens": p + completion}
}

func (s *Server) modelName(asked string) string {
	if s.cfg.ModelName != "" {
		return s.cfg.ModelName
	}
	return asked
}

// sse starts a server-sent-events response and returns a writer of events.
func sse(w http.ResponseWriter) func(v any) {
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	flusher, _ := w.(http.Flusher)
	return func(v any) {
		if v == nil {
			fmt.Fprint(w, "data: [DONE]\n\n")
		} else {
			data, _ := json.Marshal(v)
			fmt.Fprintf(w, "data: %s\n\n", data)
		}
		if flusher != nil {
			flusher.Flush()
		}
	}
}

func (s *Server) streamCompletions(w http.ResponseWriter, r *http.Request, prompts [][]int, st settings, logprobs bool, id string, created int64, model string) error {
	n := len(prompts) * st.n
	events := make(chan event, n*(st.maxTokens+1))
	errc := make(chan error, 1)
	go func() {
		_, err := s.run(r.Context(), prompts, st, events)
		errc <- err
		close(events)
	}()
	send := sse(w)
	sr := newStreamer(s, st, n)
	chunk := func(i int, text string, finish, stopReason any, lp map[string]any) {
		send(map[string]any{"id": id, "object": "text_completion", "created": created, "model": model,
			"choices": []any{map[string]any{"index": i, "text": text, "finish_reason": finish, "stop_reason": stopReason, "logprobs": lp}}})
	}
	for ev := range events {
		if ev.done != nil {
			chunk(ev.choice, sr.rest(ev.done), ev.done.finish, ev.done.stopReason, nil)
			continue
		}
		d := sr.delta(ev.choice, ev.token.ID)
		var lp map[string]any
		if logprobs {
			lp = s.completionLogprobs([]int{ev.token.ID}, []float64{ev.token.Logprob}, st.tokenIDs)
		}
		if d != "" || lp != nil {
			chunk(ev.choice, d, nil, nil, lp)
		}
	}
	if err := <-errc; err != nil {
		send(map[string]any{"error": map[string]any{"message": err.Error(), "type": "server_error"}})
	}
	send(nil)
	return nil
}
