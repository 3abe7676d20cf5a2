package demo

import (
	"strings"

	"research/rollout"
)

// Showcase picks the traces worth printing from the evaluation after RL:
// the first correct one with more than one search and the first with a
// corrected search (a query that repeats a name of the query before it:
// the policy searched the same thing again, reworded), when they exist.
func (r *Result) Showcase() []*rollout.Trajectory {
	var multi, corrected *rollout.Trajectory
	for _, t := range r.Examples {
		if multi == nil && len(t.Searches) > 1 && t.Reward == 1 {
			multi = t
		}
		if corrected == nil && researched(t) {
			corrected = t
		}
	}
	var out []*rollout.Trajectory
	for _, t := range []*rollout.Trajectory{multi, corrected} {
		if t != nil && (len(out) == 0 || out[0] != t) {
			out = append(out, t)
		}
	}
	return out
}

// researched reports whether a search of t shares a name with the one
// before it; a multi-hop step moves on to a new name.
func researched(t *rollout.Trajectory) bool {
	for i := 1; i < len(t.Searches); i++ {
		prev := names(t.Searches[i-1].Query)
		for n := range names(t.Searches[i].Query) {
			if prev[n] {
				return true
			}
		}
	}
	return false
}

// names returns the capitalised words of a query after its first.
func names(query string) map[string]bool {
	out := map[string]bool{}
	for i, w := range strings.Fields(query) {
		if i > 0 && w[0] >= 'A' && w[0] <= 'Z' {
			out[w] = true
		}
	}
	return out
}
