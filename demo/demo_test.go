package demo

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"research/pretrain"
)

// TestRunEndToEnd runs the whole experiment at a toy scale: a small world,
// a base model pretrained for one epoch, two GRPO steps. It checks the
// pipeline, not the learning (the CPU-scale figures are in bench/RESULTS.md).
func TestRunEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("pretrains and trains a model: skipped with -short")
	}
	cfg := Defaults(t.TempDir())
	cfg.World.Entities, cfg.World.HeldOut = 40, 40
	cfg.World.TrainQuestions, cfg.World.DevQuestions, cfg.World.TestQuestions = 20, 4, 8
	cfg.Shape = pretrain.Shape{Vocab: 400, Hidden: 32, Layers: 1, Heads: 2, KVHeads: 1, FFN: 64,
		Epochs: 1, Warmup: 1, BatchTokens: 4096, TopK: 2, Traces: 1, LR: 3e-3, Noise: pretrain.DefaultNoise, Seed: 1}
	cfg.EvalQuestions, cfg.MaxTokens, cfg.Steps, cfg.BatchSize, cfg.N = 4, 48, 2, 2, 2
	res, err := Run(context.Background(), cfg, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 4 {
		t.Fatalf("%d rows, want 4", len(res.Rows))
	}
	for _, row := range res.Rows {
		if row.N["all"] != 4 || row.EM["all"] < 0 || row.EM["all"] > 1 {
			t.Errorf("%s: n %d, EM %v", row.Method, row.N["all"], row.EM["all"])
		}
	}
	if len(res.Examples) != 4 {
		t.Errorf("%d traces after RL, want 4", len(res.Examples))
	}
	var md bytes.Buffer
	res.Markdown(&md)
	for _, want := range []string{"Closed-book generation", "Naive RAG", "ReSearch, before RL", "ReSearch, after RL", "bridge EM / F1"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, md.String())
		}
	}
	for _, f := range []string{"world/train.jsonl", "base/model.safetensors", "train/metrics.jsonl", "train/checkpoints/step-000002/model.safetensors"} {
		if _, err := os.Stat(filepath.Join(cfg.Out, f)); err != nil {
			t.Errorf("missing %s: %v", f, err)
		}
	}
}
