package pretrain

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"research/protocol"
	"research/world"
)

// Tokenizer is what pretraining needs of a tokenizer.
type Tokenizer interface {
	Encode(text string) []int
}

// Sequence is one training document: every token from From on is
// predicted, weighted by Mask (1 for text the model should learn to write,
// 0 for the prompt and inserted results).
type Sequence struct {
	Tokens []int
	From   int
	Mask   []float64 // len(Tokens) - From
}

// PassageSequence is a passage as a document ending in eos.
func PassageSequence(tok Tokenizer, contents string, eosID int) Sequence {
	ids := append(tok.Encode(contents), eosID)
	mask := make([]float64, len(ids)-1)
	for i := range mask {
		mask[i] = 1
	}
	return Sequence{Tokens: ids, From: 1, Mask: mask}
}

// TraceSequence is a trace after its prompt; each segment is tokenized on
// its own, as the rollout inserts results.
func TraceSequence(tok Tokenizer, prompt string, segs []Segment) Sequence {
	s := Sequence{Tokens: tok.Encode(prompt)}
	s.From = len(s.Tokens)
	for _, seg := range segs {
		ids := tok.Encode(seg.Text)
		s.Tokens = append(s.Tokens, ids...)
		w := 1.0
		if seg.Inserted {
			w = 0
		}
		for range ids {
			s.Mask = append(s.Mask, w)
		}
	}
	return s
}

// Corpus builds the pretraining documents of a world: its train passages
// and the traces of its train questions.
func Corpus(g *world.Generation, tok Tokenizer, find Searcher, eosID int, s Shape) ([]Sequence, error) {
	var out []Sequence
	for _, doc := range g.PretrainDocuments() {
		out = append(out, PassageSequence(tok, doc, eosID))
	}
	traces, err := Traces(g.Questions[world.Train], tok, find, s, rand.New(rand.NewPCG(s.Seed, 7)))
	if err != nil {
		return nil, err
	}
	return append(out, traces...), nil
}

// Traces writes s.Traces noisy traces of each question. A share
// s.Instructions of them carry the paper's whole base prompt; the rest
// only its "User: … Assistant:" turn, as the format would appear in
// documents on the web — the model still meets the instructions often
// enough to expect them, and the traces cost half the compute.
func Traces(qs []world.Question, tok Tokenizer, find Searcher, s Shape, rng *rand.Rand) ([]Sequence, error) {
	eos := protocol.Base.EOSText()
	var out []Sequence
	for _, q := range qs {
		for range s.Traces {
			segs, err := Trace(q, find, s.Noise, s.Style, eos, rng)
			if err != nil {
				return nil, fmt.Errorf("question %s: %w", q.ID, err)
			}
			prompt := protocol.Base.Prompt(q.Question)
			if rng.Float64() >= s.Instructions {
				prompt = prompt[instructionsLen:]
			}
			out = append(out, TraceSequence(tok, prompt, segs))
		}
	}
	return out, nil
}

// instructionsLen is the length of the base prompt's instructions, which
// come before the question.
var instructionsLen = strings.Index(protocol.Base.Prompt(""), "User: ")
