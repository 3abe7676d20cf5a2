package view

import (
	"math"
	"strconv"
	"sync"

	"research/rollout"
	"research/tokenizer"
)

// tokenCell is one response token with its sampler logprob, for the
// shaded token view.
type tokenCell struct {
	Text     string // decoded, when the run's tokenizer is at hand; else the id
	Logprob  float64
	Inserted bool // an inserted result token: no logprob
	Class    string
}

// tokenizerOnce loads the run's tokenizer on first use.
type tokenizerOnce struct {
	once sync.Once
	tok  *tokenizer.Tokenizer
}

func (r *Run) tokenizer() *tokenizer.Tokenizer {
	t := &r.tok
	t.once.Do(func() {
		var cands []string
		if c := r.Config; c != nil {
			cands = append(cands, c.Tokenizer, c.Model)
		}
		for _, m := range r.evals.manifests() {
			if m.Policy.Kind == "local" {
				cands = append(cands, m.Policy.Location)
			}
		}
		for _, c := range cands {
			if p := r.resolve(c); p != "" {
				if tok, err := tokenizer.Load(p); err == nil {
					t.tok = tok
					return
				}
			}
		}
	})
	return t.tok
}

// tokenCells shades each response token by its logprob: class lp0 (p near
// 1) to lp9 (p below e^-9). Without a tokenizer the cells show ids. A
// trajectory whose arrays disagree gives none.
func (r *Run) tokenCells(t *rollout.Trajectory) []tokenCell {
	if len(t.Response) == 0 || len(t.Logprobs) != len(t.Response) || len(t.Mask) != len(t.Response) {
		return nil
	}
	tok := r.tokenizer()
	var dec *tokenizer.StreamDecoder
	if tok != nil {
		dec = tok.NewStreamDecoder(false)
	}
	cells := make([]tokenCell, len(t.Response))
	for i, id := range t.Response {
		c := tokenCell{Logprob: t.Logprobs[i], Inserted: t.Mask[i] == 0}
		if dec != nil {
			c.Text, _ = dec.Next(id)
		} else {
			c.Text = "[" + strconv.Itoa(id) + "]"
		}
		switch {
		case c.Inserted:
			c.Class = "ins"
		default:
			c.Class = "lp" + strconv.Itoa(int(math.Min(9, math.Max(0, math.Floor(-c.Logprob)))))
		}
		cells[i] = c
	}
	if dec != nil && len(cells) > 0 {
		cells[len(cells)-1].Text += dec.Flush()
	}
	return cells
}
