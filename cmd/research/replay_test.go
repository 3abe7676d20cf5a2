package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"research/dataset"
	"research/protocol"
	"research/rollout"
	"research/rollout/rollouttest"
	"research/score"
)

func TestReplay(t *testing.T) {
	cfg := rollout.Defaults(protocol.Base, []int{rollouttest.EndOfText}, "<|endoftext|>")
	cfg.N = 2
	runner := &rollout.Runner{
		Policy: &rollouttest.ScriptedPolicy{Scripts: map[string][]string{
			"0": {"<think> a </think> <search> Dune director </search>", "<think> b </think> <answer> \\boxed{Denis Villeneuve} </answer><|endoftext|>"},
			"1": {"<answer> \\boxed{x} </answer><|endoftext|>"},
		}},
		Retriever: &rollouttest.Retriever{},
		Tokenizer: rollouttest.ByteTokenizer{},
		Config:    cfg,
	}
	trajs, err := runner.Run(context.Background(), []dataset.Example{{ID: "d1", Question: "Who directed Dune?", Answers: []string{"Denis Villeneuve"}}})
	if err != nil {
		t.Fatal(err)
	}
	score.All(score.ReSearch{}, trajs...)
	trajs[1].Reward = 0.5 // as if an older reward had scored it differently
	dir := t.TempDir()
	dump, rescored := filepath.Join(dir, "dump.jsonl"), filepath.Join(dir, "rescored.jsonl")
	f, _ := os.Create(dump)
	if err := rollout.WriteJSONL(f, trajs); err != nil {
		t.Fatal(err)
	}
	f.Close()

	out, _, err := runCLI(t, "", "replay", dump, "--traces", "1", "--out", rescored)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"d1 #0", `search 1: "Dune director"`, "2 trajectories: mean reward 0.7500 as dumped, 0.5000 now; 1 changed"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "d1 #1") {
		t.Error("printed more traces than asked")
	}
	f, _ = os.Open(rescored)
	defer f.Close()
	back, err := rollout.ReadJSONL(f, rescored)
	if err != nil || len(back) != 2 || back[1].Reward != 0 {
		t.Errorf("re-scored dump: %v, %d records", err, len(back))
	}
	if _, _, err := runCLI(t, "", "replay", filepath.Join(dir, "none.jsonl")); err == nil {
		t.Error("replay of a missing file succeeded")
	}
}
