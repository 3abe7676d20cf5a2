// Package rollouttest provides fakes of the rollout loop's neighbours — a
// byte-level tokenizer, a scripted policy and a retriever that can fail —
// for tests of the loop and of the policies.
package rollouttest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"research/rollout"
	"research/search"
)

// Token ids of the fake tokenizer: one id per byte, plus two specials.
const (
	IMEnd     = 1000 // <|im_end|>
	EndOfText = 1001 // <|endoftext|>
)

var specials = map[string]int{"<|im_end|>": IMEnd, "<|endoftext|>": EndOfText}

// ByteTokenizer spells text one byte per token and knows two special tokens.
type ByteTokenizer struct{}

// Encode implements rollout.Tokenizer.
func (ByteTokenizer) Encode(text string) []int {
	var ids []int
	for len(text) > 0 {
		matched := false
		for s, id := range specials {
			if strings.HasPrefix(text, s) {
				ids, text, matched = append(ids, id), text[len(s):], true
				break
			}
		}
		if !matched {
			ids, text = append(ids, int(text[0])), text[1:]
		}
	}
	return ids
}

// Decode implements rollout.Tokenizer.
func (ByteTokenizer) Decode(ids []int, skipSpecial bool) (string, error) {
	var b strings.Builder
	for _, id := range ids {
		switch {
		case id < 256:
			b.WriteByte(byte(id))
		case id == IMEnd && !skipSpecial:
			b.WriteString("<|im_end|>")
		case id == EndOfText && !skipSpecial:
			b.WriteString("<|endoftext|>")
		case id != IMEnd && id != EndOfText:
			return "", fmt.Errorf("unknown id %d", id)
		}
	}
	return b.String(), nil
}

// ScriptedPolicy answers the i-th call for a sequence with its script's i-th
// text, cut at the first stop id, stop string or budget, as an engine would.
// Every token gets logprob -0.5.
type ScriptedPolicy struct {
	Scripts map[string][]string // by the sample index in the key ("example/sample")
	Fail    error               // when set, every call fails with it

	mu    sync.Mutex
	calls map[string]int
	reqs  []rollout.Request
}

// Requests returns the requests received so far.
func (p *ScriptedPolicy) Requests() []rollout.Request {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]rollout.Request(nil), p.reqs...)
}

// Generate implements rollout.Policy.
func (p *ScriptedPolicy) Generate(ctx context.Context, req rollout.Request) (rollout.Completion, error) {
	p.mu.Lock()
	if p.calls == nil {
		p.calls = map[string]int{}
	}
	turn := p.calls[req.Key]
	p.calls[req.Key]++
	p.reqs = append(p.reqs, req)
	p.mu.Unlock()
	if p.Fail != nil {
		return rollout.Completion{}, p.Fail
	}
	script := p.Scripts[req.Key[strings.IndexByte(req.Key, '/')+1:]]
	if turn >= len(script) {
		return rollout.Completion{}, fmt.Errorf("script of %s has no turn %d", req.Key, turn)
	}
	tok := ByteTokenizer{}
	c := rollout.Completion{StopID: -1, Finish: rollout.FinishLength}
	for _, id := range tok.Encode(script[turn]) {
		if len(c.Tokens) == req.MaxTokens {
			return c, nil
		}
		c.Tokens = append(c.Tokens, id)
		c.Logprobs = append(c.Logprobs, -0.5)
		for _, stop := range req.StopIDs {
			if id == stop {
				c.Finish, c.StopID = rollout.FinishStop, id
				return c, nil
			}
		}
		text, _ := tok.Decode(c.Tokens, false)
		for _, s := range req.StopStrings {
			if strings.HasSuffix(text, s) {
				c.Finish, c.StopString = rollout.FinishStop, s
				return c, nil
			}
		}
	}
	if len(c.Tokens) == req.MaxTokens {
		return c, nil
	}
	return c, fmt.Errorf("script text %q of %s ends without a stop", script[turn], req.Key)
}

// Retriever answers each query with k documents named after it
// ("query#j", contents "\"query\"\npassage j", score k-j), after failing
// the first Failures calls; it records every batch.
type Retriever struct {
	Failures int

	mu      sync.Mutex
	batches [][]string
}

// Batches returns the query batches received so far.
func (r *Retriever) Batches() [][]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([][]string(nil), r.batches...)
}

// Search implements search.Retriever.
func (r *Retriever) Search(ctx context.Context, queries []string, k int) ([][]search.Doc, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.batches = append(r.batches, append([]string(nil), queries...))
	if len(r.batches) <= r.Failures {
		return nil, errors.New("connection refused")
	}
	out := make([][]search.Doc, len(queries))
	for i, q := range queries {
		for j := 0; j < k; j++ {
			out[i] = append(out[i], search.Doc{ID: fmt.Sprintf("%s#%d", q, j), Contents: fmt.Sprintf("\"%s\"\npassage %d", q, j), Score: float64(k - j)})
		}
	}
	return out, nil
}
