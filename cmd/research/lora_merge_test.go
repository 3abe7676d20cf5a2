package main

import (
	"math"
	"path/filepath"
	"strings"
	"testing"

	"research/model"
)

// TestLoRAMerge merges the PyTorch fixture's adapter and checks that the
// merged model scores like the base with the adapter applied.
func TestLoRAMerge(t *testing.T) {
	fixture := "../../model/testdata/torchgrad/gqa4-lora"
	out := filepath.Join(t.TempDir(), "merged")
	if _, _, err := runCLI(t, "", "lora-merge", "--model", fixture, "--adapter", fixture, "--out", out); err != nil {
		t.Fatal(err)
	}
	base, err := model.Load(fixture)
	if err != nil {
		t.Fatal(err)
	}
	lora, err := model.LoadLoRA(fixture, &base.Config)
	if err != nil {
		t.Fatal(err)
	}
	merged, err := model.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	seqs, from := [][]int{{1, 5, 9, 2, 7, 3}}, []int{2}
	want, err := base.TrainForward(seqs, from, model.TrainOptions{Temperature: 1, LoRA: lora})
	if err != nil {
		t.Fatal(err)
	}
	got, err := merged.TrainForward(seqs, from, model.TrainOptions{Temperature: 1})
	if err != nil {
		t.Fatal(err)
	}
	for j := range want.Logp[0] {
		if math.Abs(got.Logp[0][j]-want.Logp[0][j]) > 1e-4 {
			t.Errorf("token %d: merged logp %v, adapted %v", j, got.Logp[0][j], want.Logp[0][j])
		}
	}

	if _, _, err := runCLI(t, "", "lora-merge", "--model", fixture, "--adapter", t.TempDir(), "--out", out); err == nil || !strings.Contains(err.Error(), "--adapter") {
		t.Errorf("missing adapter: %v", err)
	}
	if _, _, err := runCLI(t, "", "lora-merge", "--model", fixture, "--adapter", fixture, "--out", out, "--dtype", "q4"); err == nil || !strings.Contains(err.Error(), "--dtype") {
		t.Errorf("bad dtype: %v", err)
	}
}
