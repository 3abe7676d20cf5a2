package server

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"research/generate"
	"research/tokenizer"
)

// choice is one finished continuation, ready to be written out.
type choice struct {
	index      int
	res        generate.Result
	text       string
	finish     string // "stop" or "length"
	stopReason any    // the stop string, a requested stop id, or nil (EOS)
}

// event is what a streaming response hears: a sampled token or, last for
// its choice, the finished choice.
type event struct {
	choice int
	token  generate.Token
	done   *choice
}

// run generates st.n choices for each prompt, all through the engine at
// once; with events set it also reports every token as it is sampled.
func (s *Server) run(ctx context.Context, prompts [][]int, st settings, events chan<- event) ([]choice, error) {
	id := newID("")
	out := make([]choice, len(prompts)*st.n)
	errs := make([]error, len(out))
	var wg sync.WaitGroup
	for i := range out {
		prompt := prompts[i/st.n]
		call := generate.Call{Key: id + "/" + strconv.Itoa(i), Sampling: &st.sampling}
		if st.seeded {
			stream := uint64(i % st.n)
			call.Stream = &stream
		}
		if events != nil {
			call.OnToken = func(t generate.Token) { events <- event{choice: i, token: t} }
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer s.cfg.Engine.Release(call.Key)
			res, err := s.cfg.Engine.GenerateWith(ctx, call, generate.Request{
				Prompt: prompt, MaxTokens: st.maxTokens, StopIDs: st.stopIDs, StopStrings: st.stops})
			if err != nil {
				errs[i] = err
				return
			}
			out[i] = s.finish(i, res, st)
			if events != nil {
				events <- event{choice: i, done: &out[i]}
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, fmt.Errorf("generation failed: %w", err)
		}
	}
	return out, nil
}

// finish turns a result into the text and stop fields clients expect: the
// matched stop string is cut from the text unless include_stop_str_in_output,
// special tokens are dropped unless skip_special_tokens is false.
func (s *Server) finish(i int, res generate.Result, st settings) choice {
	c := choice{index: i, res: res, finish: res.Finish}
	c.text = s.decode(res.Tokens, st.skipSpec)
	switch {
	case res.StopString != "":
		c.stopReason = res.StopString
		if cut := strings.LastIndex(c.text, res.StopString); cut >= 0 {
			if st.includeStr {
				cut += len(res.StopString)
			}
			c.text = c.text[:cut]
		}
	case res.StopID >= 0 && !containsInt(s.cfg.EOSIDs, res.StopID):
		c.stopReason = res.StopID
	}
	return c
}

func (s *Server) decode(ids []int, skipSpecial bool) string {
	text, err := s.cfg.Tokenizer.Decode(ids, skipSpecial)
	if err != nil {
		return ""
	}
	return text
}

// tokenStrings names each token for logprobs: "token_id:N" when asked, as
// vLLM does, else the token's own text.
func (s *Server) tokenStrings(ids []int, asIDs bool) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		if asIDs {
			out[i] = "token_id:" + strconv.Itoa(id)
		} else {
			out[i] = s.decode([]int{id}, false)
		}
	}
	return out
}

func containsInt(xs []int, x int) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// streamer turns a choice's tokens into text deltas. The tokenizer's
// stream decoder never splits a character; on top of it the streamer holds
// back the last bytes that may still become the start of a stop string,
// which the finished text will not contain.
type streamer struct {
	decoders []*tokenizer.StreamDecoder
	text     []string // decoded so far, per choice
	emitted  []int    // bytes of text sent, per choice
	hold     int
}

func newStreamer(srv *Server, st settings, choices int) *streamer {
	sr := &streamer{decoders: make([]*tokenizer.StreamDecoder, choices), text: make([]string, choices), emitted: make([]int, choices)}
	for i := range sr.decoders {
		sr.decoders[i] = srv.cfg.Tokenizer.NewStreamDecoder(st.skipSpec)
	}
	for _, stop := range st.stops {
		sr.hold = max(sr.hold, len(stop)-1)
	}
	return sr
}

// delta returns the new text of choice i after token id.
func (sr *streamer) delta(i, id int) string {
	piece, err := sr.decoders[i].Next(id)
	if err != nil {
		return ""
	}
	sr.text[i] += piece
	safe := len(sr.text[i]) - sr.hold
	// With no stop string to hold back, safe is the end of the text: there
	// is no byte there to look at, and no character to cut.
	for safe > sr.emitted[i] && safe < len(sr.text[i]) && !utf8.RuneStart(sr.text[i][safe]) {
		safe-- // never cut a character
	}
	if safe <= sr.emitted[i] {
		return ""
	}
	d := sr.text[i][sr.emitted[i]:safe]
	sr.emitted[i] = safe
	return d
}

// rest returns what remains of a finished choice's text.
func (sr *streamer) rest(c *choice) string {
	if sr.emitted[c.index] >= len(c.text) {
		return ""
	}
	return c.text[sr.emitted[c.index]:]
}
