package demo

import (
	"research/rollout"
	"research/world"
)

// Showcase picks the traces worth printing from the evaluation after RL:
// for each question type, the correct trace with the most searches (the
// first of them), so that every kind of question the policy answers is
// shown once. The report prints the self-correction example beside them.
func (r *Result) Showcase() []*rollout.Trajectory {
	var out []*rollout.Trajectory
	for _, typ := range world.QuestionTypes {
		var best *rollout.Trajectory
		for _, t := range r.Examples {
			if r.Types[t.ExampleID] == string(typ) && t.Reward == 1 && (best == nil || len(t.Searches) > len(best.Searches)) {
				best = t
			}
		}
		if best != nil {
			out = append(out, best)
		}
	}
	return out
}
