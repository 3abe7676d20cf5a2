package main

import (
	"path/filepath"
	"testing"

	"research/demo"
	"research/eval"
	"research/tokenizer"
	"research/world"
)

// TestShippedPolicyInProcessEqualsServed evaluates the demo's shipped base
// policy on held-out questions of the demo world, in process and through
// serve-model: the predictions and traces must be identical.
func TestShippedPolicyInProcessEqualsServed(t *testing.T) {
	if testing.Short() {
		t.Skip("evaluates the shipped policy twice")
	}
	dir := t.TempDir()
	base := filepath.Join(dir, "base")
	if err := demo.WriteBase(base); err != nil {
		t.Fatal(err)
	}
	g, err := world.Generate(demo.World)
	if err != nil {
		t.Fatal(err)
	}
	wdir, index := filepath.Join(dir, "world"), filepath.Join(dir, "index")
	if err := g.WriteDir(wdir); err != nil {
		t.Fatal(err)
	}
	ix, err := g.Index(index)
	if err != nil {
		t.Fatal(err)
	}
	ix.Close()
	tok, err := tokenizer.Load(base)
	if err != nil {
		t.Fatal(err)
	}
	url := serveModel(t, base, tok)
	const n = 12
	common := []string{"--method", "research", "--template", "base", "--data", filepath.Join(wdir, world.QuestionFile(world.Test)),
		"--name", "world", "--index", index, "--tokenizer", base, "--top-k", "3", "--max-tokens", "512", "--limit", "12", "--workers", "4"}
	local, served := filepath.Join(dir, "local"), filepath.Join(dir, "served")
	if _, _, err := runCLI(t, "", append([]string{"eval", "--out", local, "--model", base}, common...)...); err != nil {
		t.Fatalf("in process: %v", err)
	}
	if _, _, err := runCLI(t, "", append([]string{"eval", "--out", served, "--llm-url", url, "--llm-model", "served"}, common...)...); err != nil {
		t.Fatalf("served: %v", err)
	}
	a := readResults(t, eval.ResultsPath(local, eval.Research, "world"))
	b := readResults(t, eval.ResultsPath(served, eval.Research, "world"))
	if len(a) != n || len(b) != n {
		t.Fatalf("%d and %d results, want %d", len(a), len(b), n)
	}
	answered, correct := 0, 0.0
	for id, ra := range a {
		rb := b[id]
		if ra.Prediction != rb.Prediction || ra.Trajectory == nil || rb.Trajectory == nil ||
			ra.Trajectory.ResponseText != rb.Trajectory.ResponseText {
			t.Errorf("%s: in process %q, served %q", id, ra.Prediction, rb.Prediction)
		}
		if ra.Prediction != "" {
			answered++
		}
		correct += ra.Metrics.EM
	}
	if answered == 0 {
		t.Error("the shipped policy answered nothing: the comparison is vacuous")
	}
	t.Logf("%d of %d answered, EM %.2f", answered, n, correct/n)
}
