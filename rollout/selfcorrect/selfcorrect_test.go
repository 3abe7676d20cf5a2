package selfcorrect

import (
	"reflect"
	"strings"
	"testing"

	"research/protocol"
	"research/rollout"
)

// step is one search of a hand-made trace and the passage it found.
type step struct{ query, result string }

// trace writes a ReSearch response: a search and its result per step,
// then the boxed answer.
func trace(answer string, steps ...step) *rollout.Trajectory {
	var b strings.Builder
	t := &rollout.Trajectory{Golds: []string{"Lake Vorn", "Vorn"}}
	for i, s := range steps {
		b.WriteString("<think> look it up </think>" + protocol.RenderSearch(s.query) + protocol.RenderResult([]string{s.result}))
		t.Searches = append(t.Searches, rollout.Search{Turn: i, Query: s.query})
	}
	b.WriteString(" <answer> The answer is \\boxed{" + answer + "} </answer>")
	t.ResponseText = b.String()
	return t
}

const (
	director = `"Koza" Koza is a film directed by Tesi Mar.`
	birth    = `"Tesi Mar" Tesi Mar was born in Lake Vorn.`
	other    = `"Kozak" Kozak is a river.`
)

func TestFind(t *testing.T) {
	hops := []string{"Tesi Mar", "Lake Vorn"}
	for _, c := range []struct {
		name string
		t    *rollout.Trajectory
		hops []string
		want []int
	}{
		{"straight two hops", trace("Lake Vorn", step{"director of Koza", director}, step{"birthplace of Tesi Mar", birth}), hops, nil},
		{"rewrite after a miss", trace("Lake Vorn", step{"Koza director", other}, step{"who directed the film Koza", director}, step{"Tesi Mar born", birth}), hops, []int{1}},
		{"wrong final answer", trace("Paris", step{"Koza director", other}, step{"who directed the film Koza", director}), hops, nil},
		{"repeat, not a rewrite", trace("Lake Vorn", step{"Koza director", other}, step{"the Koza director", director}, step{"Tesi Mar born", birth}), hops, nil},
		{"miss after a found hop: the hop already shown is no news", trace("Lake Vorn", step{"director of Koza", director}, step{"Koza director again", director}, step{"Tesi Mar born", birth}), hops, []int{2}},
		{"two misses in a row", trace("Lake Vorn", step{"Koza director", other}, step{"Koza film", other}, step{"who directed Koza", director}, step{"Tesi Mar born", birth}), hops, []int{2}},
		{"a rewrite that misses again, then a lucky guess", trace("Lake Vorn", step{"Koza director", other}, step{"Koza film", other}), hops, nil},
		{"no answer box", func() *rollout.Trajectory {
			tr := trace("x", step{"Koza director", other}, step{"who directed Koza", director})
			tr.ResponseText = strings.Replace(tr.ResponseText, "\\boxed{x}", "Lake Vorn", 1)
			return tr
		}(), hops, nil},
		// Without a decomposition: a reworded re-ask after a result without
		// the gold counts; a next hop sharing few words does not.
		{"fallback re-ask", trace("Vorn", step{"Koza director", other}, step{"Koza film director", director}, step{"Tesi Mar birthplace", birth}), nil, []int{1}},
		{"fallback next hop", trace("Vorn", step{"director of Koza", director}, step{"birthplace of Tesi Mar", birth}), nil, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := Find(c.t, c.hops); !reflect.DeepEqual(got, c.want) {
				t.Errorf("Find = %v, want %v\n%s", got, c.want, c.t.ResponseText)
			}
			if got := Count(c.t, c.hops); got != len(c.want) {
				t.Errorf("Count = %d, want %d", got, len(c.want))
			}
		})
	}
}

func TestResults(t *testing.T) {
	resp := "x" + protocol.RenderResult([]string{"a"}) + " y" + protocol.RenderResult(nil) + " z <result>\ncut"
	if got, want := Results(resp), []string{"\na\n", "\n\n", "\ncut"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Results = %q, want %q", got, want)
	}
}
