package rollout

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"research/search"
)

// Token ids of the fake tokenizer: one id per byte, plus two specials.
const (
	imEnd     = 1000 // <|im_end|>
	endOfText = 1001 // <|endoftext|>
)

var specials = map[string]int{"<|im_end|>": imEnd, "<|endoftext|>": endOfText}

// byteTokenizer spells text one byte per token and knows two special tokens.
type byteTokenizer struct{}

func (byteTokenizer) Encode(text string) []int {
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

func (byteTokenizer) Decode(ids []int, skipSpecial bool) (string, error) {
	var b strings.Builder
	for _, id := range ids {
		switch {
		case id < 256:
			b.WriteByte(byte(id))
		case id == imEnd && !skipSpecial:
			b.WriteString("<|im_end|>")
		case id == endOfText && !skipSpecial:
			b.WriteString("<|endoftext|>")
		case id != imEnd && id != endOfText:
			return "", fmt.Errorf("unknown id %d", id)
		}
	}
	return b.String(), nil
}

// scriptedPolicy answers the i-th call for a sequence with its script's i-th
// text, cut at the first stop id, stop string or budget, as an engine would.
type scriptedPolicy struct {
	scripts map[string][]string // by the sample index in the key ("example/sample")
	fail    error

	mu    sync.Mutex
	calls map[string]int
	reqs  []Request
}

func (p *scriptedPolicy) Generate(ctx context.Context, req Request) (Completion, error) {
	p.mu.Lock()
	if p.calls == nil {
		p.calls = map[string]int{}
	}
	turn := p.calls[req.Key]
	p.calls[req.Key]++
	p.reqs = append(p.reqs, req)
	p.mu.Unlock()
	if p.fail != nil {
		return Completion{}, p.fail
	}
	script := p.scripts[req.Key[strings.IndexByte(req.Key, '/')+1:]]
	if turn >= len(script) {
		return Completion{}, fmt.Errorf("script of %s has no turn %d", req.Key, turn)
	}
	tok := byteTokenizer{}
	c := Completion{StopID: -1, Finish: FinishLength}
	for _, id := range tok.Encode(script[turn]) {
		if len(c.Tokens) == req.MaxTokens {
			return c, nil
		}
		c.Tokens = append(c.Tokens, id)
		c.Logprobs = append(c.Logprobs, -0.5)
		for _, stop := range req.StopIDs {
			if id == stop {
				c.Finish, c.StopID = FinishStop, id
				return c, nil
			}
		}
		text, _ := tok.Decode(c.Tokens, false)
		for _, s := range req.StopStrings {
			if strings.HasSuffix(text, s) {
				c.Finish, c.StopString = FinishStop, s
				return c, nil
			}
		}
	}
	if len(c.Tokens) == req.MaxTokens {
		return c, nil
	}
	return c, fmt.Errorf("script text %q of %s ends without a stop", script[turn], req.Key)
}

// fakeRetriever answers each query with k documents named after it, after
// failing the first failures calls; it records every batch.
type fakeRetriever struct {
	failures int

	mu      sync.Mutex
	batches [][]string
}

func (r *fakeRetriever) Search(ctx context.Context, queries []string, k int) ([][]search.Doc, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.batches = append(r.batches, append([]string(nil), queries...))
	if len(r.batches) <= r.failures {
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
