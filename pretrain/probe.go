package pretrain

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"

	"research/model"
	"research/protocol"
	"research/world"
)

// Reading measures the skill the base policy most needs and RL cannot
// create: writing down what a search result says. Over clean traces of
// questions (normally held out), with every earlier token given, it counts
// the steps whose answer — the end of the finding written after a result,
// with the finding's closing tag — the model predicts greedily, token for
// token. With quoted evidence the words before the answer are given too:
// the probe measures the reading, not the quoting. Of comparison and
// yes/no questions it also counts the conclusions whose decision (see
// conclusion) the model predicts, the values set side by side given.
type Reading struct {
	Steps, Read int // steps with a result before them; those predicted exactly
	Found       int // steps whose result held the answer
	ReadFound   int // of those, predicted exactly
	// Conclusions is the number of comparison and yes/no questions,
	// Concluded those whose decision is predicted exactly; YesNo and
	// YesNoConcluded count the yes/no questions among them.
	Conclusions, Concluded int
	YesNo, YesNoConcluded  int
}

// Rate is the share of steps read exactly.
func (r Reading) Rate() float64 { return ratio(r.Read, r.Steps) }

// FoundRate is the share read exactly of the steps whose result held the
// answer: the reading skill apart from retrieval misses.
func (r Reading) FoundRate() float64 { return ratio(r.ReadFound, r.Found) }

func ratio(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func (r Reading) String() string {
	s := fmt.Sprintf("%d/%d steps read (%.1f%%); %d/%d where the result held the answer (%.1f%%)",
		r.Read, r.Steps, 100*r.Rate(), r.ReadFound, r.Found, 100*r.FoundRate())
	if r.Conclusions > 0 {
		s += fmt.Sprintf("; %d/%d conclusions (%.1f%%), yes/no %d/%d", r.Concluded, r.Conclusions, 100*ratio(r.Concluded, r.Conclusions), r.YesNoConcluded, r.YesNo)
	}
	return s
}

// ProbeReading runs the probe on questions with the real searcher, the
// traces written in style.
func ProbeReading(m *model.Model, tok Tokenizer, find Searcher, qs []world.Question, style Style) (Reading, error) {
	var r Reading
	rng := rand.New(rand.NewPCG(0, 0)) // clean traces draw nothing
	eos := protocol.Base.EOSText()
	for _, q := range qs {
		segs, err := Trace(q, find, Noise{}, style, eos, rng)
		if err != nil {
			return r, fmt.Errorf("probe %s: %w", q.ID, err)
		}
		ids := tok.Encode(protocol.Base.Prompt(q.Question))
		type span struct {
			lo, hi            int
			found, conclusion bool
		}
		var spans []span
		c, decision, hasConclusion := conclusion(q, style.CheckOff)
		for i, seg := range segs {
			lo := len(ids)
			ids = append(ids, tok.Encode(seg.Text)...)
			switch {
			case i > 0 && segs[i-1].Inserted && !seg.Inserted:
				step := q.Decomposition[len(spans)]
				spans = append(spans, span{lo: lo + answerStart(tok, seg.Text, step.Answer, ids[lo:]), hi: len(ids),
					found: strings.Contains(segs[i-1].Text, step.Answer)})
			case hasConclusion && seg.Text == think(c):
				spans = append(spans, span{lo: lo + answerStart(tok, seg.Text, decision, ids[lo:]), hi: len(ids), conclusion: true})
			}
		}
		logits, err := m.Forward([]model.Input{{Cache: m.NewCache(len(ids)), Tokens: ids, AllLogits: true}})
		if err != nil {
			return r, fmt.Errorf("probe %s: %w", q.ID, err)
		}
		v := m.Config.VocabSize
		for _, s := range spans {
			exact := true
			for p := s.lo; p < s.hi && exact; p++ {
				row := logits[0][(p-1)*v : p*v]
				exact = argmax(row) == ids[p]
			}
			if s.conclusion {
				r.Conclusions++
				if exact {
					r.Concluded++
				}
				if q.Type == world.YesNo {
					r.YesNo++
					if exact {
						r.YesNoConcluded++
					}
				}
				continue
			}
			r.Steps++
			if s.found {
				r.Found++
			}
			if exact {
				r.Read++
				if s.found {
					r.ReadFound++
				}
			}
		}
	}
	return r, nil
}

// answerStart is the index, among a finding's tokens, of the first token of
// its answer: the tokens of the text before the answer, when they are a
// prefix of the finding's (they are where the answer starts a word), else
// 0, the whole finding.
func answerStart(tok Tokenizer, finding, answer string, ids []int) int {
	i := strings.LastIndex(finding, answer)
	if i < 0 {
		return 0
	}
	head := tok.Encode(strings.TrimRight(finding[:i], " "))
	if len(head) > len(ids) || !slices.Equal(head, ids[:len(head)]) {
		return 0
	}
	return len(head)
}

func argmax(xs []float32) int {
	return slices.Index(xs, slices.Max(xs))
}
