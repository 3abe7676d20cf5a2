// Package selfcorrect counts self-corrections in ReSearch traces, so that
// "the model corrects itself" is a number measured before and after RL,
// not an impression from reading traces.
//
// A self-correction is a search, in a trace whose final answer is right
// (exact match against a gold answer, SQuAD-normalised), that
//
//   - rewrites: its query, normalised, differs from every earlier query
//     of the trace, and
//   - follows a miss: the result of the search just before it lacked
//     what was being looked up, and
//   - recovers (with a decomposition): its own result shows a hop answer
//     that no earlier result showed, so the second try found what the
//     first did not, and a right answer reached by a lucky guess after
//     two misses does not count.
//
// With the question's decomposition (the synthetic world gives each hop's
// answer as the passage writes it) a result lacked what was being looked
// up when it contains no hop answer that no earlier result contained:
// it moved the trace no step forward, so the next, different query cannot
// be the next hop read from it; it is a second try at the same look-up
// (or a guess, which the right final answer makes unlikely to pay).
// Order-free, so comparisons that look their subjects up in either order
// count the same.
//
// Without a decomposition (real datasets) the test falls back to: the
// result before lacked every gold answer, and the new query shares at
// least half of its normalised words with the one before it (a re-ask of
// the same thing, reworded, rather than a new hop). This is a heuristic:
// a next hop that repeats most of the words of the last one counts too.
//
// Containment is of normalised text, on word boundaries.
package selfcorrect

import (
	"strings"

	"research/protocol"
	"research/reward"
	"research/rollout"
)

// Count returns the self-corrections of t; hops holds the answer of each
// hop of the question's decomposition, or is empty for the fallback.
func Count(t *rollout.Trajectory, hops []string) int {
	return len(Find(t, hops))
}

// Find returns the indices in t.Searches of t's self-corrections.
func Find(t *rollout.Trajectory, hops []string) []int {
	ans, ok := protocol.ExtractAnswer(t.ResponseText)
	if !ok || reward.Evaluate(ans, t.Golds).EM != 1 {
		return nil
	}
	results := Results(t.ResponseText)
	n := min(len(results), len(t.Searches))
	found := make([]bool, len(hops)) // hop answers shown by a result so far
	var out []int
	for i := 1; i < n; i++ {
		prev := normalize(results[i-1])
		missed := true
		if len(hops) > 0 {
			for h, a := range hops {
				if !found[h] && contains(prev, a) {
					found[h], missed = true, false
				}
			}
		} else {
			for _, g := range t.Golds {
				if contains(prev, g) {
					missed = false
				}
			}
		}
		if !missed || !rewrite(t.Searches, i) {
			continue
		}
		if len(hops) == 0 && !reasks(t.Searches[i].Query, t.Searches[i-1].Query) {
			continue
		}
		if len(hops) > 0 && !news(normalize(results[i]), hops, found) {
			continue
		}
		out = append(out, i)
	}
	return out
}

// Results returns the text of each inserted result block of a response,
// in order: the i-th belongs to the i-th search.
func Results(response string) []string {
	var out []string
	for {
		start := strings.Index(response, protocol.ResultOpen)
		if start < 0 {
			return out
		}
		rest := response[start+len(protocol.ResultOpen):]
		end := strings.Index(rest, protocol.ResultClose)
		if end < 0 {
			return append(out, rest)
		}
		out = append(out, rest[:end])
		response = rest[end+len(protocol.ResultClose):]
	}
}

// news reports whether the padded normalised result shows a hop answer
// not yet found.
func news(result string, hops []string, found []bool) bool {
	for h, a := range hops {
		if !found[h] && contains(result, a) {
			return true
		}
	}
	return false
}

// rewrite reports whether search i's query differs from every earlier one.
func rewrite(searches []rollout.Search, i int) bool {
	q := reward.Normalize(searches[i].Query)
	for _, s := range searches[:i] {
		if reward.Normalize(s.Query) == q {
			return false
		}
	}
	return true
}

// reasks reports whether at least half of q's normalised words are in prev.
func reasks(q, prev string) bool {
	words := strings.Fields(reward.Normalize(q))
	seen := map[string]bool{}
	for _, w := range strings.Fields(reward.Normalize(prev)) {
		seen[w] = true
	}
	shared := 0
	for _, w := range words {
		if seen[w] {
			shared++
		}
	}
	return len(words) > 0 && 2*shared >= len(words)
}

// normalize pads the normalised text with spaces for word-bounded search.
func normalize(s string) string { return " " + reward.Normalize(s) + " " }

// contains reports whether the normalised answer occurs in the padded
// normalised text on word boundaries.
func contains(padded, answer string) bool {
	a := reward.Normalize(answer)
	return a != "" && strings.Contains(padded, " "+a+" ")
}
