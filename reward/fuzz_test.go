package reward

import "testing"

func FuzzScore(f *testing.F) {
	f.Add("User: q. Assistant: <think> a </think> <answer> \\boxed{The Nile} </answer><eos>", "nile", "<eos>")
	f.Add("<|im_start|>assistant\n<think></think><answer>\\boxed yes$</answer>", "ΣΑ İ", "")
	f.Fuzz(func(t *testing.T, solution, gold, eos string) {
		r := ScoreSolution(solution, []string{gold}, eos)
		if r.Score < 0 || r.Score > 1 || r.Reason == "" {
			t.Fatalf("ScoreSolution = %+v", r)
		}
		m := Evaluate(solution, []string{gold})
		if m.F1 < 0 || m.F1 > 1 || (m.EM == 1 && m.Acc != 1) {
			t.Fatalf("Evaluate = %+v: F1 out of range or EM without cover", m)
		}
	})
}
