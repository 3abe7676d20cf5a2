package demo

import (
	"reflect"
	"strings"
	"testing"

	"research/protocol"
	"research/rl/trainer"
	"research/rollout"
)

// TestReportCountsFailures: failed questions and searches show in the
// demo's report, and only then (the usual report stays as it was).
func TestReportCountsFailures(t *testing.T) {
	row := func(errs, searches int) Row {
		return Row{Method: "ReSearch", EM: map[string]float64{}, F1: map[string]float64{}, N: map[string]int{}, Errors: errs, SearchFailures: searches}
	}
	for _, tc := range []struct {
		name string
		row  Row
		want string // "" when no failure line is wanted
	}{
		{"whole", row(0, 0), ""},
		{"dead retriever", row(0, 3), "Incomplete: ReSearch: 0 questions failed, 3 searches failed."},
		{"too long", row(2, 0), "Incomplete: ReSearch: 2 questions failed, 0 searches failed."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := &Result{Rows: []Row{tc.row}}
			var b strings.Builder
			r.Markdown(&b)
			got := strings.Contains(b.String(), "Incomplete")
			if got != (tc.want != "") || (tc.want != "" && !strings.Contains(b.String(), tc.want)) {
				t.Errorf("report:\n%s\nwant %q", b.String(), tc.want)
			}
		})
	}
}

// TestTrainerConfig: the demo's defaults leave trainer.Defaults' recipe
// and seed as they are (results masked, no dynamic sampling, no skipping,
// no overlong penalty), and each flag sets its key.
func TestTrainerConfig(t *testing.T) {
	def := trainer.Defaults()
	tc := trainerConfig(Defaults("out"), "base", "train.jsonl", "world", "index")
	if !reflect.DeepEqual(tc.Algorithm, def.Algorithm) || !reflect.DeepEqual(tc.Reward, def.Reward) || !tc.Algorithm.StateMasking {
		t.Errorf("demo defaults change the recipe: %+v %+v", tc.Algorithm, tc.Reward)
	}
	if tc.Train.Seed != def.Train.Seed {
		t.Errorf("demo defaults seed training with %d, trainer.Defaults with %d", tc.Train.Seed, def.Train.Seed)
	}
	cfg := Defaults("out")
	cfg.NoResultMask, cfg.DynamicSampling, cfg.SkipZeroAdvantage, cfg.OverlongBuffer, cfg.TrainSeed = true, true, true, 256, 7
	tc = trainerConfig(cfg, "base", "train.jsonl", "world", "index")
	a := tc.Algorithm
	if a.StateMasking || !a.SkipZeroAdvantage || !a.FilterGroups.Enable || a.FilterGroups.MaxNumGenBatches != 4 ||
		tc.Reward.OverlongBuffer != (trainer.OverlongBuffer{Enable: true, Len: 256, PenaltyFactor: 1}) || tc.Train.Seed != 7 {
		t.Errorf("flags not carried: %+v %+v seed %d", a, tc.Reward, tc.Train.Seed)
	}
}

// TestCorrectionsReport: self-corrections are counted per method with the
// question's hop answers, the report shows the counts, the rate and one
// trace, and the training line; a result without them shows neither.
func TestCorrectionsReport(t *testing.T) {
	trace := func(id, answer string, queries, results []string) *rollout.Trajectory {
		var b strings.Builder
		tr := &rollout.Trajectory{ExampleID: id, Golds: []string{"Lake Vorn"}}
		for i, q := range queries {
			b.WriteString(protocol.RenderSearch(q) + protocol.RenderResult([]string{results[i]}))
			tr.Searches = append(tr.Searches, rollout.Search{Turn: i, Query: q})
		}
		b.WriteString(" <answer> \\boxed{" + answer + "} </answer>")
		tr.ResponseText = b.String()
		return tr
	}
	miss, dir, birth := "Kozak is a river.", "Koza is a film directed by Tesi Mar.", "Tesi Mar was born in Lake Vorn."
	trajs := []*rollout.Trajectory{
		trace("q1", "Lake Vorn", []string{"director of Koza", "Tesi Mar birthplace"}, []string{dir, birth}),
		trace("q2", "Lake Vorn", []string{"Koza director", "who directed the film Koza", "Tesi Mar born"}, []string{miss, dir, birth}),
		trace("q3", "Paris", []string{"Koza director", "who directed Koza"}, []string{miss, dir}),
	}
	hops := map[string][]string{"q1": {"Tesi Mar", "Lake Vorn"}, "q2": {"Tesi Mar", "Lake Vorn"}, "q3": {"Tesi Mar", "Lake Vorn"}}
	c := corrections("after", trajs, hops)
	if c.Count != 1 || c.Traces != 1 || c.Questions != 3 || c.Example != trajs[1] || !reflect.DeepEqual(c.ExampleSearches, []int{1}) {
		t.Fatalf("corrections %+v", c)
	}
	r := &Result{Corrections: []Corrections{{Method: "before", Questions: 3}, c}}
	r.TrainStart, r.TrainEnd = trainEnds([]trainer.Metrics{
		{Step: 1, Phase: "train", SearchesPerRoll: 1, ResponseTokens: 100},
		{Step: 2, Phase: "train", SearchesPerRoll: 2, ResponseTokens: 200},
		{Step: 2, Phase: "val", SearchesPerRoll: 9},
		{Step: 3, Phase: "train", SearchesPerRoll: 3, ResponseTokens: 300},
	}, 1)
	var b strings.Builder
	r.Markdown(&b)
	for _, want := range []string{"| before | 0 | 0 of 3 | 0.0% |", "| after | 1 | 1 of 3 | 33.3% |", "question q2; search 2", "who directed the film Koza",
		"searches per rollout 1.00 → 3.00, response tokens written by the policy 100 → 300"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, b.String())
		}
	}
	b.Reset()
	(&Result{}).Markdown(&b)
	if strings.Contains(b.String(), "Self-correction") || strings.Contains(b.String(), "GRPO, first") {
		t.Errorf("empty result reports corrections or training:\n%s", b.String())
	}
}
