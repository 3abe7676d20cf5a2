package view

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"research/eval"
	"research/reward"
	"research/rollout"
)

// hostile is model output that would run script if a page trusted it.
const (
	hostileScript = `<script>alert(1)</script>`
	hostileImg    = `"><img src=x onerror=alert(2)>`
)

// fixture describes a synthetic training run.
type fixture struct {
	steps, questions, n int
	valEvery            int
	corruptLine         bool // a bad metrics.jsonl line after the first
	// promptTokens and dataQuestions make a run the size of a real one:
	// prompts of that many ids, a data file of that many questions.
	promptTokens, dataQuestions int
}

var questionTypes = []string{"bridge", "chain", "comparison", "yesno"}

// writeTrainRun writes a training run as research train lays it out:
// config.yaml, metrics.jsonl, rollouts/{train,val}-stepNNNNNN.jsonl, and
// the question file the config names, with types. Question 0 of step 1
// is hostile: markup in its question, query, result and answer.
func writeTrainRun(tb testing.TB, dir string, fx fixture) {
	tb.Helper()
	must := func(err error) {
		if err != nil {
			tb.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(dir, "rollouts"), 0o755))
	must(os.MkdirAll(filepath.Join(dir, "data"), 0o755))
	var qs strings.Builder
	for q := range max(fx.questions, fx.dataQuestions) {
		fmt.Fprintf(&qs, `{"id":"q-%d","question":"question %d","golden_answers":["Nile %d"],"type":%q}`+"\n", q, q, q, questionTypes[q%len(questionTypes)])
	}
	must(os.WriteFile(filepath.Join(dir, "data", "train.jsonl"), []byte(qs.String()), 0o644))
	cfg := "data:\n  train: [runs/x/data/train.jsonl]\n  val: [runs/x/data/train.jsonl]\nmodel: nowhere\nretriever: {index: nowhere, top_k: 3}\n" +
		fmt.Sprintf("rollout: {n: %d}\nalgorithm: {advantage: grpo}\ntrain: {steps: %d, batch_size: %d}\n", fx.n, fx.steps, fx.questions)
	must(os.WriteFile(filepath.Join(dir, "config.yaml"), []byte(cfg), 0o644))

	var metrics strings.Builder
	for step := 1; step <= fx.steps; step++ {
		var trajs []*rollout.Trajectory
		for q := range fx.questions {
			for s := range fx.n {
				t := trajectory(step, q, s, step == 1 && q == 0)
				if fx.promptTokens > 0 {
					t.Prompt = make([]int, fx.promptTokens)
					t.PromptText = strings.Repeat("Answer the question, searching when you need to. ", fx.promptTokens/10) + t.PromptText
				}
				trajs = append(trajs, t)
			}
		}
		writeDump(tb, filepath.Join(dir, "rollouts", fmt.Sprintf("train-step%06d.jsonl", step)), trajs)
		m := map[string]any{"step": step, "phase": "train", "reward_mean": 0.2 + 0.5*float64(step)/float64(fx.steps),
			"em": 0.1 + 0.3*float64(step)/float64(fx.steps), "searches_per_rollout": 1 + float64(step%5)/4,
			"kl": 0.001 * float64(step), "grad_norm": 1.5 - float64(step)/float64(2*fx.steps), "lr": 1e-5, "time_update_s": 0.8}
		line, _ := json.Marshal(m)
		metrics.Write(append(line, '\n'))
		if step == 1 && fx.corruptLine {
			metrics.WriteString("{\"step\": oops\n")
		}
		if fx.valEvery > 0 && step%fx.valEvery == 0 {
			var val []*rollout.Trajectory
			for q := range fx.questions {
				val = append(val, trajectory(step, q, 0, false))
			}
			writeDump(tb, filepath.Join(dir, "rollouts", fmt.Sprintf("val-step%06d.jsonl", step)), val)
			line, _ := json.Marshal(map[string]any{"step": step, "phase": "val", "reward_mean": 0.3 + 0.4*float64(step)/float64(fx.steps), "em": 0.2})
			metrics.Write(append(line, '\n'))
		}
	}
	must(os.WriteFile(filepath.Join(dir, "metrics.jsonl"), []byte(metrics.String()), 0o644))
}

func writeDump(tb testing.TB, path string, trajs []*rollout.Trajectory) {
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	if err := rollout.WriteJSONL(f, trajs); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
}

// trajectory makes one rollout: sample s of question q searches s%3+1
// times; even samples answer right.
func trajectory(step, q, s int, hostile bool) *rollout.Trajectory {
	question := fmt.Sprintf("question %d", q)
	query, result, answer := fmt.Sprintf("query %d-%d", q, s), fmt.Sprintf("\"Doc %d\"\nthe passage of question %d", q, q), fmt.Sprintf("Nile %d", q)
	if s%2 == 1 {
		answer = "wrong"
	}
	if hostile {
		question = "who wrote " + hostileScript + "?"
		query = hostileImg + " query"
		result = hostileScript + " in a passage"
		answer = hostileImg
	}
	t := &rollout.Trajectory{
		Version: rollout.TrajectoryVersion, ExampleID: fmt.Sprintf("q-%d", q), Sample: s, Question: question,
		Golds: []string{fmt.Sprintf("Nile %d", q)}, Prompt: []int{1, 2, 3}, PromptText: "User: " + question + "\nAssistant: ",
		Finish: rollout.EndEOS, EOSText: "<|endoftext|>", GenerateTime: 120 * time.Millisecond, SearchTime: 3 * time.Millisecond,
	}
	var b strings.Builder
	searches := s%3 + 1
	for i := range searches {
		fmt.Fprintf(&b, "<think>step %d of my plan</think>\n<search>%s</search>\n<result>\n%s\n</result>\n", i, query, result)
		t.Searches = append(t.Searches, rollout.Search{Turn: i, Query: query, DocIDs: []string{fmt.Sprintf("doc-%d", q)}, Scores: []float64{7.5}, Inserted: 12})
		for range 8 {
			t.Response, t.Mask, t.Logprobs = append(t.Response, 10), append(t.Mask, 1), append(t.Logprobs, -0.3)
		}
		for range 12 {
			t.Response, t.Mask, t.Logprobs = append(t.Response, 11), append(t.Mask, 0), append(t.Logprobs, 0)
		}
	}
	fmt.Fprintf(&b, "<think>so the answer</think>\n<answer>The answer is \\boxed{%s}</answer>", answer)
	t.Response, t.Mask, t.Logprobs = append(t.Response, 12, 13), append(t.Mask, 1, 1), append(t.Logprobs, -2.5, -6)
	t.ResponseText = b.String() + t.EOSText
	res := reward.ScoreSolution(t.PromptText+t.ResponseText, t.Golds, t.EOSText)
	t.Reward, t.Reason = res.Score, res.Reason
	if step > 0 && s == 0 && q%2 == 0 {
		t.Finish = rollout.EndLength
	}
	return t
}

// writeEvalRun writes an eval results directory: two methods on one
// dataset, the first question hostile.
func writeEvalRun(tb testing.TB, dir string, questions int) {
	tb.Helper()
	for _, m := range []eval.Method{eval.NaiveRAG, eval.Research} {
		if err := os.MkdirAll(filepath.Join(dir, string(m)), 0o755); err != nil {
			tb.Fatal(err)
		}
		var b strings.Builder
		for q := range questions {
			t := trajectory(0, q, int(len(m))%2, q == 0)
			rec := eval.Record{Version: eval.RecordVersion, Dataset: "test", ID: fmt.Sprintf("q-%d", q), Method: m,
				Question: t.Question, Golds: t.Golds, Finish: "stop", Tokens: 30}
			rec.Prediction, _ = extractForTest(t)
			rec.Metrics = reward.Evaluate(rec.Prediction, rec.Golds)
			if m == eval.Research {
				rec.Trajectory = t
			} else {
				rec.Steps = []eval.Step{{Query: t.Question, DocIDs: []string{"doc-1"}, Prompt: "prompt " + hostileScript, Output: rec.Prediction, Finish: "stop", Tokens: 5}}
			}
			line, _ := json.Marshal(rec)
			b.Write(append(line, '\n'))
		}
		if err := os.WriteFile(eval.ResultsPath(dir, m, "test"), []byte(b.String()), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "report.md"), []byte("## EM (%)\n\n| Method | test EM |\n|---|---:|\n| **ReSearch** | 50.00 |\n\n- a note "+hostileScript+"\n"), 0o644); err != nil {
		tb.Fatal(err)
	}
}

func extractForTest(t *rollout.Trajectory) (string, bool) {
	s := t.ResponseText
	i := strings.Index(s, `\boxed{`)
	if i < 0 {
		return "", false
	}
	s = s[i+len(`\boxed{`):]
	j := strings.LastIndex(s, "}")
	return s[:j], true
}
