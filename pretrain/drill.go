package pretrain

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"research/protocol"
	"research/world"
)

// ReadingWorld is the world the reading drills are drawn from: generated
// from its own seed, so its facts are not the train world's (a name both
// happen to draw names two unrelated entities), and its passages are never
// trained on. A drill can only be completed by reading the result.
func ReadingWorld(seed uint64, drills int) (*world.Generation, error) {
	// A third as many entities as drills leaves enough distinct questions
	// of every type.
	return world.Generate(world.Config{Seed: seed, Entities: max(400, drills/3), HeldOut: 40,
		TrainQuestions: drills, NearDuplicates: world.DefaultConfig.NearDuplicates})
}

// Drills writes a reading drill for one random step of each of n train
// questions of the reading world rg: the step's sub-question as context,
// then the search for it, its results and the finding. Multi-hop traces
// hold a finding per few hundred tokens; a drill one per two hundred, with
// nothing to predict it from but the result. With quote the finding is the
// evidence, as in Trace; with answer the drill ends as a trace does, with
// the answer block and eos: the answer is the end of the finding just
// written, which a trace teaches once per question.
func Drills(rg *world.Generation, n int, tok Tokenizer, find Searcher, quote, answer bool, rng *rand.Rand) ([]Sequence, error) {
	qs := rg.Questions[world.Train]
	if n > len(qs) {
		return nil, fmt.Errorf("pretrain: %d drills from a reading world of %d questions", n, len(qs))
	}
	out := make([]Sequence, 0, n)
	for _, q := range qs[:n] {
		step := q.Decomposition[rng.IntN(len(q.Decomposition))]
		segs, docs, err := searchSegments(strings.TrimSuffix(step.Question, "?"), find)
		if err != nil {
			return nil, fmt.Errorf("drill %s: %w", q.ID, err)
		}
		segs = append(segs, Segment{Text: think(finding(step, docs, quote))})
		if answer {
			segs = append(segs, Segment{Text: answerText(step.Answer, protocol.Base.EOSText())})
		}
		out = append(out, TraceSequence(tok, think(step.Question), segs))
	}
	return out, nil
}

// Conclusions writes a conclusion drill for each of the first n
// comparison and yes/no train questions of the reading world rg: the
// question and its steps' findings, as a clean trace writes them but
// without the searches, then the conclusion and the answer, which alone
// are trained on, written in style. A trace holds one conclusion per
// thousand tokens or so; a drill one per hundred, and deciding which of
// two years comes first takes a small model many more examples than the
// traces hold.
func Conclusions(rg *world.Generation, n int, tok Tokenizer, find Searcher, style Style) ([]Sequence, error) {
	out := make([]Sequence, 0, n)
	for _, q := range rg.Questions[world.Train] {
		if len(out) == n {
			break
		}
		c, _, ok := conclusion(q, style.CheckOff)
		if !ok {
			continue
		}
		context := protocol.Base.Prompt(q.Question)[instructionsLen:]
		for _, step := range q.Decomposition {
			docs, err := find(strings.TrimSuffix(step.Question, "?"))
			if err != nil {
				return nil, fmt.Errorf("conclusion drill %s: %w", q.ID, err)
			}
			context += think(step.Question) + think(finding(step, docs, style.Quote))
		}
		out = append(out, TraceSequence(tok, context, []Segment{{Text: think(c)}, {Text: answerText(q.Answers[0], protocol.Base.EOSText())}}))
	}
	if len(out) < n {
		return nil, fmt.Errorf("pretrain: %d conclusion drills from a reading world of %d comparison and yes/no questions", n, len(out))
	}
	return out, nil
}

// copyNames is the length of a copying exercise's list.
const copyNames = 8

// Copies writes n copying exercises: a list of names of the reading world,
// then the list again, trained on the repeat only. Reading a result ends in
// copying a name out of it, and a small model learns to copy (it grows
// induction heads) only after a few thousand steps of text that rewards
// it; traces and drills reward it on a few tokens each, these on half of
// theirs, so they come first.
func Copies(rg *world.Generation, n int, tok Tokenizer, rng *rand.Rand) []Sequence {
	ents := rg.World(world.Train).Entities
	out := make([]Sequence, 0, n)
	for range n {
		names := make([]string, copyNames)
		for i := range names {
			names[i] = ents[rng.IntN(len(ents))].Name
		}
		list := strings.Join(names, ", ") + "."
		head := tok.Encode("Names: " + list + "\nAgain: ")
		repeat := tok.Encode(list)
		mask := make([]float64, len(repeat))
		for i := range mask {
			mask[i] = 1
		}
		out = append(out, Sequence{Tokens: append(head, repeat...), From: len(head), Mask: mask})
	}
	return out
}
