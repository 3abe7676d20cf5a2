package demo

import (
	"research/rollout"
	"research/world"
)

// Showcase picks the traces worth printing from the evaluation after RL:
// for each question type, the first correct trace that searched once per
// hop of its question, so that every kind of question the policy answers
// by searching is shown once, and none that was right by a guess. The
// report prints the self-correction example beside them.
func (r *Result) Showcase() []*rollout.Trajectory {
	var out []*rollout.Trajectory
	for _, typ := range world.QuestionTypes {
		for _, t := range r.Examples {
			if r.Types[t.ExampleID] == string(typ) && t.Reward == 1 && len(t.Searches) == len(r.Hops[t.ExampleID]) {
				out = append(out, t)
				break
			}
		}
	}
	return out
}
