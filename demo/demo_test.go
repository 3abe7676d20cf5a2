package demo

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"research/dataset"
	"strings"
	"testing"

	"research/pretrain"
	"research/rollout"
	"research/world"
)

// toyConfig is the demo at a toy scale: a small world, a base model
// pretrained in two short stages, two GRPO steps.
func toyConfig(out string) Config {
	cfg := Defaults(out)
	cfg.World.Entities, cfg.World.HeldOut = 40, 40
	cfg.World.TrainQuestions, cfg.World.DevQuestions, cfg.World.TestQuestions = 20, 4, 8
	cfg.Pretrain = true
	scratch := pretrain.Shape{Vocab: 400, Hidden: 32, Layers: 1, Heads: 2, KVHeads: 1, FFN: 64,
		Epochs: 1, Warmup: 1, BatchTokens: 4096, TopK: 2, Traces: 1, LR: 3e-3, CopyLR: 1e-3, Beta2: 0.95, Noise: pretrain.DefaultNoise, Seed: 1}
	continued := scratch
	continued.Share, continued.CheckOff = 0.5, true
	cfg.Stages = []pretrain.Shape{scratch, continued}
	cfg.EvalQuestions, cfg.MaxTokens, cfg.Steps, cfg.BatchSize, cfg.N = 4, 48, 2, 2, 2
	return cfg
}

// TestRunEndToEnd runs the whole experiment at a toy scale: a small world,
// a base model pretrained for one epoch, two GRPO steps. It checks the
// pipeline, not the learning (the CPU-scale figures are in bench/RESULTS.md).
func TestRunEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("pretrains and trains a model: skipped with -short")
	}
	cfg := toyConfig(t.TempDir())
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
	// The base was pretrained in two stages, the second continuing the first.
	summary, err := os.ReadFile(filepath.Join(cfg.Out, "base", "pretrain.json"))
	if err != nil || !strings.Contains(string(summary), filepath.Join(cfg.Out, "base-stage1")) {
		t.Errorf("the base's pretrain.json does not name its first stage: %v %s", err, summary)
	}
	// The environment's search for the question counts.
	if s := res.Rows[1].Searches; s < 1 {
		t.Errorf("naive RAG: %v searches per question, want ≥ 1", s)
	}
	if len(res.Examples) != 4 {
		t.Errorf("%d traces after RL, want 4", len(res.Examples))
	}
	if len(res.Corrections) != 2 || res.Corrections[1].Questions != 4 || res.TrainEnd.Step != 2 {
		t.Errorf("corrections %+v, training ends at step %d; want before and after RL over 4 questions, step 2", res.Corrections, res.TrainEnd.Step)
	}
	var md bytes.Buffer
	res.Markdown(&md)
	for _, want := range []string{"Self-correction", "searches per rollout"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, md.String())
		}
	}
	for _, m := range []method{closedBook, naiveRAG, beforeRL, afterRL} {
		if !strings.Contains(md.String(), m.title) {
			t.Errorf("table lacks %q:\n%s", m.title, md.String())
		}
	}
	for _, f := range []string{"world/train.jsonl", "base/model.safetensors", "train/metrics.jsonl", "train/checkpoints/step-000002/model.safetensors"} {
		if _, err := os.Stat(filepath.Join(cfg.Out, f)); err != nil {
			t.Errorf("missing %s: %v", f, err)
		}
	}
	// A base made for this toy world is refused for the demo's world.
	if err := checkWorld(filepath.Join(cfg.Out, "base"), World); err == nil || !strings.Contains(err.Error(), "pretrained on world") {
		t.Errorf("checkWorld of a base for another world: %v", err)
	}
}

// TestShippedBase: the embedded base policy was pretrained on the demo's
// world, and writes out whole.
func TestShippedBase(t *testing.T) {
	dir := t.TempDir()
	if err := WriteBase(dir); err != nil {
		t.Fatal(err)
	}
	if err := checkWorld(dir, World); err != nil {
		t.Fatal(err)
	}
	// pretrain.DefaultStages document the shipped base: its last stage has
	// the same settings but the directory it continued from.
	data, err := os.ReadFile(filepath.Join(dir, "pretrain.json"))
	if err != nil {
		t.Fatal(err)
	}
	var made struct{ Shape pretrain.Shape }
	if err := json.Unmarshal(data, &made); err != nil {
		t.Fatal(err)
	}
	last := pretrain.DefaultStages[len(pretrain.DefaultStages)-1]
	if made.Shape.From == "" {
		t.Error("the shipped base was not continued from a first stage")
	}
	made.Shape.From = ""
	if !reflect.DeepEqual(made.Shape, last) {
		t.Errorf("shipped base made with %+v, the last of DefaultStages is %+v", made.Shape, last)
	}
	for _, f := range []string{"config.json", "model.safetensors", "tokenizer.json"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
}

func TestShowcase(t *testing.T) {
	traj := func(id string, reward float64, searches int) *rollout.Trajectory {
		return &rollout.Trajectory{ExampleID: id, Reward: reward, Searches: make([]rollout.Search, searches)}
	}
	types := map[string]string{"b1": "bridge", "b2": "bridge", "b3": "bridge", "c1": "chain", "y1": "yesno", "y2": "yesno"}
	two, three := []string{"x", "y"}, []string{"x", "y", "z"}
	hops := map[string][]string{"b1": two, "b2": two, "b3": two, "c1": three, "y1": two, "y2": two}
	tests := []struct {
		name string
		in   []*rollout.Trajectory
		want []string
	}{
		{"one search per hop, in type order", []*rollout.Trajectory{traj("y1", 1, 2), traj("b1", 1, 1), traj("b2", 1, 2), traj("b3", 1, 2), traj("c1", 1, 3)}, []string{"b2", "c1", "y1"}},
		{"wrong answers and guesses are not shown", []*rollout.Trajectory{traj("b1", 0, 2), traj("b2", 1, 1), traj("y1", 1, 1), traj("y2", 1, 3)}, nil},
		{"nothing right", []*rollout.Trajectory{traj("c1", 0, 3)}, nil},
	}
	for _, tc := range tests {
		var got []string
		for _, t := range (&Result{Examples: tc.in, Types: types, Hops: hops}).Showcase() {
			got = append(got, t.ExampleID)
		}
		if strings.Join(got, ",") != strings.Join(tc.want, ",") {
			t.Errorf("%s: showcase %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestWriteTrainSet: GRPO's train file holds exactly the train questions of
// the chosen types; no types means the world's own train file.
func TestWriteTrainSet(t *testing.T) {
	g, err := world.Generate(world.Config{Seed: 1, Entities: 40, HeldOut: 40, TrainQuestions: 60, DevQuestions: 4, TestQuestions: 4})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if path, err := writeTrainSet(g, nil, dir); err != nil || path != filepath.Join(dir, "train.jsonl") {
		t.Fatalf("no types: %q, %v; want the world's train file", path, err)
	}
	types := []world.QuestionType{world.Bridge, world.Chain}
	want := 0
	for _, q := range g.Questions[world.Train] {
		if q.Type == world.Bridge || q.Type == world.Chain {
			want++
		}
	}
	path, err := writeTrainSet(g, types, dir)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) != want || want == 0 {
		t.Fatalf("%d questions written, want %d", len(lines), want)
	}
	for _, l := range lines {
		var q world.Question
		if err := json.Unmarshal([]byte(l), &q); err != nil {
			t.Fatal(err)
		}
		if q.Type != world.Bridge && q.Type != world.Chain {
			t.Fatalf("question %s of type %s written", q.ID, q.Type)
		}
	}
}

// TestRunRecipeOptions: the demo runs end to end with every recipe option
// on (results in the loss, dynamic sampling, skipped tied groups, the
// overlong penalty), and its metrics carry what they add.
func TestRunRecipeOptions(t *testing.T) {
	if testing.Short() {
		t.Skip("pretrains and trains a model: skipped with -short")
	}
	cfg := toyConfig(t.TempDir())
	cfg.NoResultMask, cfg.DynamicSampling, cfg.SkipZeroAdvantage, cfg.OverlongBuffer = true, true, true, 16
	if _, err := Run(context.Background(), cfg, io.Discard); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(cfg.Out, "train", "metrics.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `"gen_batches"`) {
		t.Errorf("metrics.jsonl lacks gen_batches:\n%s", data)
	}
	conf, err := os.ReadFile(filepath.Join(cfg.Out, "train", "config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"state_masking: false", "skip_zero_advantage: true", "max_num_gen_batches: 4", "len: 16"} {
		if !strings.Contains(string(conf), want) {
			t.Errorf("config.yaml lacks %q", want)
		}
	}
}

// TestEvalSplitRefused: only a held-out world can be reported on, and the
// mistake is named before anything is built.
func TestEvalSplitRefused(t *testing.T) {
	cfg := Defaults(t.TempDir())
	cfg.EvalSplit = "train"
	_, err := Run(context.Background(), cfg, io.Discard)
	if err == nil || !strings.Contains(err.Error(), `split "train"`) {
		t.Fatalf("Run with split train: %v, want an error naming the split", err)
	}
	if _, err := os.Stat(filepath.Join(cfg.Out, "world")); !os.IsNotExist(err) {
		t.Errorf("world written before the split was checked: %v", err)
	}
}

// TestAlwaysYes: the guessing baseline counts yes/no questions only.
func TestAlwaysYes(t *testing.T) {
	ex := func(id, answer string) dataset.Example { return dataset.Example{ID: id, Answers: []string{answer}} }
	types := map[string]string{"y1": "yesno", "y2": "yesno", "y3": "yesno", "c1": "comparison", "b1": "bridge"}
	for _, tc := range []struct {
		name string
		in   []dataset.Example
		want float64
	}{
		{"two of three", []dataset.Example{ex("y1", "yes"), ex("y2", "no"), ex("y3", "yes"), ex("b1", "yes")}, 2.0 / 3},
		{"no yes/no questions", []dataset.Example{ex("c1", "yes"), ex("b1", "Sisi")}, 0},
	} {
		if got := alwaysYes(tc.in, types); got != tc.want {
			t.Errorf("%s: alwaysYes = %v, want %v", tc.name, got, tc.want)
		}
	}
	var md bytes.Buffer
	(&Result{AlwaysYes: 0.625}).Markdown(&md)
	if !strings.Contains(md.String(), "would score 62.5") {
		t.Errorf("report lacks the guessing baseline:\n%s", md.String())
	}
}
