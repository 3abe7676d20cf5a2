package score_test

import (
	"math"
	"testing"

	"research/protocol"
	"research/reward"
	"research/rollout"
	"research/score"
)

// TestReSearch: the stage gives the reward of prompt and response together
// with the trajectory's EOS text, and All records it in the trajectory.
func TestReSearch(t *testing.T) {
	prompt := protocol.Instruct.Prompt("Who directed Dune?")
	tests := []struct {
		name     string
		response string
		want     float64
	}{
		{"right", " <think> a </think> <answer> The final answer is \\[ \\boxed{Denis Villeneuve} \\] </answer><|im_end|>", 1},
		{"wrong", " <think> a </think> <answer> The final answer is \\[ \\boxed{Ridley Scott} \\] </answer><|im_end|>", reward.FormatOnly},
		{"no eos", " <think> a </think> <answer> The final answer is \\[ \\boxed{Denis Villeneuve} \\] </answer>", 0},
	}
	for _, tc := range tests {
		tr := &rollout.Trajectory{PromptText: prompt, ResponseText: tc.response, Golds: []string{"Denis Villeneuve"}, EOSText: "<|im_end|>"}
		want := reward.ScoreSolution(prompt+tc.response, tr.Golds, tr.EOSText)
		got := score.All(score.ReSearch{}, tr)[0]
		if got.Score != tc.want || got.Score != want.Score || got.Reason != want.Reason || got.Penalty != 0 || got.Reward() != got.Score {
			t.Errorf("%s: %+v, want score %v (%q)", tc.name, got, tc.want, want.Reason)
		}
		if tr.Reward != got.Score || tr.Reason != got.Reason {
			t.Errorf("%s: the trajectory records %v %q", tc.name, tr.Reward, tr.Reason)
		}
	}
}

// TestOverlong: DAPO's penalty of the whole response length (results
// included) is added to the inner score as the penalty; the trajectory
// records the score.
func TestOverlong(t *testing.T) {
	s := score.Overlong{Scorer: score.Func(func(*rollout.Trajectory) float64 { return 1 }), MaxTokens: 100, Buffer: 40, Factor: 1}
	tests := []struct {
		length  int
		penalty float64
	}{
		{10, 0},
		{60, 0}, // the buffer starts
		{80, -0.5},
		{100, -1},
	}
	for _, tc := range tests {
		tr := &rollout.Trajectory{Response: make([]int, tc.length), Mask: make([]uint8, tc.length)}
		got := score.All(s, tr)[0]
		if math.Abs(got.Penalty-tc.penalty) > 1e-12 || got.Score != 1 || math.Abs(got.Reward()-(1+tc.penalty)) > 1e-12 {
			t.Errorf("length %d: %+v, want penalty %g", tc.length, got, tc.penalty)
		}
		if tr.Reward != 1 {
			t.Errorf("length %d: the trajectory records %v, want the unshaped score", tc.length, tr.Reward)
		}
	}
}
