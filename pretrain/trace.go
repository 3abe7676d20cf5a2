// Package pretrain makes the base policy of the synthetic-world experiment:
// a small Qwen2-architecture model trained from scratch, as a language
// model, on the train world's passages and on documents in the ReSearch
// format whose search decisions are noisy — it learns the format and to
// read results, but often searches for the wrong thing or answers too
// early, as an instruct model does on real data. Reinforcement learning
// then has something to fix.
//
// Three packages train: this one pretrains (language modelling from
// scratch, before any reward); rl/trainer is the GRPO loop that trains the
// policy afterwards; train is the optimizer mechanics under both.
package pretrain

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"research/protocol"
	"research/search"
	"research/world"
)

// Noise sets how often a written trace goes wrong; the rest follow the
// question's decomposition, one search per step.
type Noise struct {
	// WholeQuestion: search once with the whole question, then answer
	// with a guess from the results.
	WholeQuestion float64
	// EarlyAnswer: stop after the first step and answer with its finding.
	EarlyAnswer float64
	// NoSearch: answer at once with a guess.
	NoSearch float64
	// GuessYesNo makes an early answer to a yes/no question a guess,
	// "yes" or "no", as an instruct model's is, instead of the first
	// step's finding — a name, which no yes/no question is answered with.
	GuessYesNo bool
}

// DefaultNoise leaves 30% of the traces right and has 45% answer after the
// first step: where a trace has searched once, answering is the likelier
// next move (0.45 against 0.30), so the base policy's greedy decision is to
// stop early, as an instruct model's often is on real multi-hop questions.
// That is the habit RL with search has to break.
var DefaultNoise = Noise{WholeQuestion: 0.15, EarlyAnswer: 0.45, NoSearch: 0.1}

// Style is how a trace writes what it read.
type Style struct {
	// Quote copies each step's evidence from the results (see evidence)
	// instead of writing the bare answer.
	Quote bool
	// CheckOff concludes a yes/no question by checking each value off
	// (see conclusion).
	CheckOff bool
}

// Segment is a piece of a trace: written by the policy, or inserted by the
// environment (never trained on).
type Segment struct {
	Text     string
	Inserted bool
}

// Searcher returns the passages a query finds.
type Searcher func(query string) ([]search.Doc, error)

// Trace writes a ReSearch-format response to q, as segments, with the
// results the searcher really returns inserted after each search, written
// in style. eos ends the response.
func Trace(q world.Question, find Searcher, noise Noise, style Style, eos string, rng *rand.Rand) ([]Segment, error) {
	var segs []Segment
	policy := func(s string) { segs = append(segs, Segment{Text: s}) }
	searchFor := func(query string) ([]search.Doc, error) {
		searched, docs, err := searchSegments(query, find)
		segs = append(segs, searched...)
		return docs, err
	}
	answer := func(a string) { policy(answerText(a, eos)) }

	switch r := rng.Float64(); {
	case r < noise.NoSearch:
		policy(think("I think I know this."))
		answer(guess(q, nil, rng))
	case r < noise.NoSearch+noise.WholeQuestion:
		policy(think("Let me search for the question."))
		docs, err := searchFor(strings.TrimSuffix(q.Question, "?"))
		if err != nil {
			return nil, err
		}
		policy(think("The answer should be in these results."))
		answer(guess(q, docs, rng))
	default:
		early := len(q.Decomposition) > 1 && r < noise.NoSearch+noise.WholeQuestion+noise.EarlyAnswer
		for i, step := range q.Decomposition {
			policy(think(step.Question))
			docs, err := searchFor(strings.TrimSuffix(step.Question, "?"))
			if err != nil {
				return nil, err
			}
			policy(think(finding(step, docs, style.Quote)))
			if early && i == 0 {
				if q.Type == world.YesNo && noise.GuessYesNo {
					answer(guess(q, docs, rng))
				} else {
					answer(step.Answer)
				}
				return segs, nil
			}
		}
		if c, _, ok := conclusion(q, style.CheckOff); ok {
			policy(think(c))
		}
		answer(q.Answers[0])
	}
	return segs, nil
}

// searchSegments is a search as a trace holds it: the query the policy
// writes, then the results the environment inserts.
func searchSegments(query string, find Searcher) ([]Segment, []search.Doc, error) {
	docs, err := find(query)
	if err != nil {
		return nil, nil, fmt.Errorf("search %q: %w", query, err)
	}
	contents := make([]string, len(docs))
	for i, d := range docs {
		contents[i] = d.Contents
	}
	return []Segment{{Text: protocol.RenderSearch(query)}, {Text: protocol.RenderResult(contents), Inserted: true}}, docs, nil
}

// finding is what a trace writes after a step's result: the answer, or
// with quote the evidence for it.
func finding(step world.Step, docs []search.Doc, quote bool) string {
	if quote {
		return evidence(step, docs)
	}
	return step.Answer
}

// conclusion is what a careful reader writes after the last step of a
// comparison or yes/no question: the value each subject's steps found,
// side by side, then the decision, the answer. The findings it draws on
// lie hundreds of tokens apart, among results; set next to each other the
// two values are compared within a few tokens. A comparison decides with
// the winner's value, then its name: the smaller of two years is copied
// digit by digit (each digit a token), and the name after it is the one
// written after the same value a moment before. With checkOff a yes/no
// question instead checks each value off, the first always "yes": whether
// the second is the same name is then the induction a small model already
// reads with — the word that followed the same tokens a moment before —
// where deciding the equality of two names set side by side is not learnt
// from tens of thousands of drills (bench/RESULTS.md). decision is the
// conclusion's tail from the point it decides; ok is false for other types.
func conclusion(q world.Question, checkOff bool) (c, decision string, ok bool) {
	half := len(q.Decomposition) / 2
	if !concludes(q.Type) || len(q.Subjects) != 2 || half == 0 {
		return "", "", false
	}
	a, b := q.Decomposition[half-1].Answer, q.Decomposition[len(q.Decomposition)-1].Answer
	switch {
	case q.Type == world.YesNo && checkOff:
		check := "no"
		if a == b {
			check = "yes"
		}
		decision = fmt.Sprintf("%s. So %s.", check, q.Answers[0])
		return fmt.Sprintf("%s: %s yes. %s: %s %s", q.Subjects[0], a, q.Subjects[1], b, decision), decision, true
	case q.Type == world.YesNo:
		decision = q.Answers[0]
	case q.Answers[0] == q.Subjects[0]:
		decision = a + " for " + q.Subjects[0]
	default:
		decision = b + " for " + q.Subjects[1]
	}
	return fmt.Sprintf("%s for %s, %s for %s. So %s.", a, q.Subjects[0], b, q.Subjects[1], decision), decision, true
}

// concludes reports whether questions of type t end in a conclusion.
func concludes(t world.QuestionType) bool { return t == world.Comparison || t == world.YesNo }

// answerText renders the answer block that ends a trace.
func answerText(a, eos string) string {
	return " " + protocol.AnswerOpen + ` The final answer is \[ \boxed{` + a + `} \] ` + protocol.AnswerClose + eos
}

// think renders a think block as the traces write it.
func think(s string) string { return " " + protocol.ThinkOpen + " " + s + " " + protocol.ThinkClose }

// evidence is what a careful reader writes down after a step's search:
// the step's supporting passage, copied from its first word to the answer,
// when the search found it — a span a small model learns to copy far
// sooner than it learns to pick the answer out of the results unaided —
// and the bare answer when the search missed it.
func evidence(step world.Step, docs []search.Doc) string {
	for _, d := range docs {
		if len(step.Supporting) == 0 || d.ID != step.Supporting[0] {
			continue
		}
		// Contents is the quoted title, a newline, then the text.
		if _, text, ok := strings.Cut(d.Contents, "\n"); ok {
			if i := strings.Index(text, step.Answer); i >= 0 {
				return text[:i+len(step.Answer)]
			}
		}
	}
	return step.Answer
}

// guess picks a plausible wrong-or-right answer: for yes/no questions a
// coin, else a capitalised word of the results, else the gold answer of
// the first step.
func guess(q world.Question, docs []search.Doc, rng *rand.Rand) string {
	if q.Type == world.YesNo {
		return []string{"yes", "no"}[rng.IntN(2)]
	}
	var found []string
	for _, d := range docs {
		found = append(found, d.Contents)
	}
	var names []string
	for _, w := range strings.Fields(strings.Join(found, "\n")) {
		w = strings.Trim(w, `".,`)
		if len(w) > 2 && w[0] >= 'A' && w[0] <= 'Z' {
			names = append(names, w)
		}
	}
	if len(names) > 0 {
		return names[rng.IntN(len(names))]
	}
	return q.Decomposition[0].Answer
}
