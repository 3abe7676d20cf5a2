package trainer

import (
	"context"
	"encoding/json"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gonum.org/v1/plot/plotter"

	"research/internal/tinymodel"

	"research/rollout"
	"research/score"
	"research/search/bm25"
)

// toyRun prepares a run directory around the tiny random model: its weights
// with a byte-level tokenizer, a three-passage index and eight questions.
func toyRun(t *testing.T) Config {
	t.Helper()
	dir := t.TempDir()
	mdir := filepath.Join(dir, "model")
	if err := tinymodel.Copy(mdir, 4096); err != nil {
		t.Fatal(err)
	}
	corpus := `{"id":"1","contents":"\"A\"\nA is a city."}` + "\n" + `{"id":"2","contents":"\"B\"\nB is a film."}` + "\n"
	if _, err := bm25.Build(context.Background(), strings.NewReader(corpus), "corpus", filepath.Join(dir, "ix"), bm25.BuildOptions{}); err != nil {
		t.Fatal(err)
	}
	var qs strings.Builder
	for i := range 8 {
		qs.WriteString(`{"id":"q` + string(rune('0'+i)) + `","question":"q` + string(rune('0'+i)) + `","golden_answers":["a"]}` + "\n")
	}
	data := filepath.Join(dir, "train.jsonl")
	os.WriteFile(data, []byte(qs.String()), 0o644)

	cfg := Defaults()
	cfg.Model, cfg.Template = mdir, "base"
	cfg.Data.Train, cfg.Data.Val, cfg.Data.ValSize = []string{data}, []string{data}, 2
	cfg.Retriever.Index = filepath.Join(dir, "ix")
	cfg.Rollout.N, cfg.Rollout.MaxResponseTokens = 4, 12
	cfg.Optim.LR = 1e-2
	cfg.Train.Steps, cfg.Train.BatchSize, cfg.Train.ValEvery, cfg.Train.SaveEvery = 6, 4, 3, 3
	cfg.Train.Out = filepath.Join(dir, "run")
	return cfg
}

// asciiShare is a toy reward the random model can learn: the share of its
// response bytes below 64.
func asciiShare(tr *rollout.Trajectory) float64 {
	n := 0
	for _, id := range tr.Response {
		if id < 64 {
			n++
		}
	}
	return float64(n) / float64(len(tr.Response))
}

// TestLearnsToyReward: GRPO through rollouts, the loss, the backward pass
// and AdamW must raise a reward the policy can reach, by a clear margin.
func TestLearnsToyReward(t *testing.T) {
	cfg := toyRun(t)
	tr, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	tr.Scorer, tr.Log = score.Func(asciiShare), io.Discard
	if err := tr.Run(context.Background(), false); err != nil {
		t.Fatal(err)
	}
	var train []Metrics
	for _, m := range tr.history {
		if m.Phase == "train" {
			train = append(train, m)
		}
	}
	for _, m := range train {
		t.Logf("step %d: reward %.3f kl %.4f grad %.3f", m.Step, m.RewardMean, m.KL, m.GradNorm)
	}
	// Step 1's rollouts come from the initial policy.
	first := train[0].RewardMean
	last := (train[len(train)-1].RewardMean + train[len(train)-2].RewardMean + train[len(train)-3].RewardMean) / 3
	if last < first+0.3 {
		t.Errorf("reward rose from %.3f (initial policy) to %.3f (last 3 steps): want at least +0.3", first, last)
	}
	for _, f := range []string{"metrics.jsonl", "config.yaml", "plots/reward.png", "checkpoints/step-000006/run_state.json", "rollouts/train-step000001.jsonl"} {
		if _, err := os.Stat(filepath.Join(cfg.Train.Out, f)); err != nil {
			t.Errorf("missing output: %v", err)
		}
	}
}

func weights(t *testing.T, tr *Trainer) [][]float32 {
	t.Helper()
	var out [][]float32
	for _, p := range tr.backend.(*Local).engine.Params() {
		out = append(out, append([]float32(nil), p.Data...))
	}
	return out
}

// TestResumeMatchesUnbroken: 4 steps in one go, or 2 steps, a stop and a
// resume for 2 more, end with the same weights and the same metrics.
func TestResumeMatchesUnbroken(t *testing.T) {
	run := func(cfg Config, steps int, resume bool) *Trainer {
		cfg.Train.Steps = steps
		tr, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		tr.Scorer, tr.Log = score.Func(asciiShare), io.Discard
		if err := tr.Run(context.Background(), resume); err != nil {
			t.Fatal(err)
		}
		return tr
	}
	cfg := toyRun(t)
	cfg.Train.SaveEvery, cfg.Train.ValEvery = 2, 0
	straight := run(cfg, 4, false)
	defer straight.Close()

	cfg.Train.Out += "-resumed"
	first := run(cfg, 2, false)
	first.Close()
	second := run(cfg, 4, true)
	defer second.Close()

	a, b := weights(t, straight), weights(t, second)
	for i := range a {
		for j := range a[i] {
			if a[i][j] != b[i][j] {
				t.Fatalf("tensor %d element %d: %v straight, %v resumed", i, j, a[i][j], b[i][j])
			}
		}
	}
	ma, _ := os.ReadFile(filepath.Join(straight.Config.Train.Out, "metrics.jsonl"))
	mb, _ := os.ReadFile(filepath.Join(second.Config.Train.Out, "metrics.jsonl"))
	if strip(ma) != strip(mb) {
		t.Errorf("metrics differ:\n%s\n%s", ma, mb)
	}
}

// strip drops the timing fields, which differ between runs, and the
// logprob gap: the rollout engine's logprobs vary in the last float32 bits
// with which sequences share a forward.
func strip(data []byte) string {
	var out []string
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var m Metrics
		json.Unmarshal([]byte(line), &m)
		m.GenerateSec, m.SearchSec, m.ScoreSec, m.UpdateSec, m.TokensPerS, m.LogprobGap = 0, 0, 0, 0, 0, 0
		b, _ := json.Marshal(m)
		out = append(out, string(b))
	}
	return strings.Join(out, "\n")
}

func TestConfig(t *testing.T) {
	cfg := toyRun(t)
	path := filepath.Join(t.TempDir(), "c.yaml")
	data, _ := cfg.YAML()
	os.WriteFile(path, data, 0o644)
	got, err := Load(path, []string{"rollout.n=8", "optim.lr=2e-5", "data.val=[]"})
	if err != nil {
		t.Fatal(err)
	}
	if got.Rollout.N != 8 || got.Optim.LR != 2e-5 || len(got.Data.Val) != 0 || got.Model != cfg.Model || !got.Algorithm.StateMasking {
		t.Errorf("loaded %+v", got)
	}
	remote := []string{"backend.url=http://127.0.0.1:8000", "algorithm.kl=none", "algorithm.entropy_coef=0", "backend.lora_rank=8"}
	got, err = Load(path, append(remote, "backend.api_key=tml-secret", "algorithm.kl_in_reward=true", "algorithm.kl_penalty=low_var_kl"))
	if err != nil {
		t.Fatalf("a remote config: %v", err)
	}
	if !got.seedPerTurn() || got.Backend.Loss != RemotePPO {
		t.Errorf("remote config: seed per turn %v, loss %q", got.seedPerTurn(), got.Backend.Loss)
	}
	if data, _ := got.YAML(); strings.Contains(string(data), "tml-secret") {
		t.Errorf("the written config holds the API key:\n%s", data)
	}
	tests := []struct {
		sets []string
		want string
	}{
		{[]string{"rollout.nn=3"}, "field nn not found"},
		{[]string{"rollout.n=many"}, "rollout"},
		{[]string{"rollout.n=1"}, "rollout.n"},
		{[]string{"algorithm.kl=full"}, "algorithm.kl"},
		{[]string{"model=/nonexistent"}, "model"},
		{[]string{"retriever.url=http://x"}, "exactly one of retriever.index (or dense_index) and retriever.url"},
		{[]string{"retriever.method=dense"}, "retriever.dense_index"},
		{[]string{"retriever.method=hybrid", "retriever.dense_index=/x"}, "retriever.encoder"},
		{[]string{"retriever.method=sparse"}, "retriever.method"},
		{[]string{"optim.schedule=step"}, "optim.schedule"},
		{[]string{"train.collapse.action=panic"}, "train.collapse.action"},
		{[]string{"novalue"}, "want key=value"},
		{[]string{"algorithm.filter_groups.enable=true", "algorithm.filter_groups.metric=reward"}, "algorithm.filter_groups.metric"},
		{[]string{"algorithm.filter_groups.enable=true", "algorithm.filter_groups.max_num_gen_batches=0"}, "algorithm.filter_groups.max_num_gen_batches"},
		{[]string{"reward_model.overlong_buffer.enable=true"}, "reward_model.overlong_buffer.len"}, // 4096 > the toy's 12 tokens
		{[]string{"reward_model.overlong_buffer.enable=true", "reward_model.overlong_buffer.len=4", "reward_model.overlong_buffer.penalty_factor=-1"}, "reward_model.overlong_buffer.penalty_factor"},
		{[]string{"algorithm.advantage=reinforce_plus_plus_baseline", "algorithm.skip_zero_advantage=true"}, "algorithm.skip_zero_advantage"},
		{[]string{"algorithm.state_masking=maybe"}, "state_masking"},
		{[]string{"algorithm.kl_in_reward=true", "algorithm.kl_penalty=none"}, "algorithm.kl_penalty"},
		{[]string{"algorithm.kl_in_reward=true", "algorithm.kl_ctrl.type=adaptive"}, "algorithm.kl_ctrl.type"},
		{[]string{"algorithm.kl_in_reward=true", "algorithm.kl_ctrl.kl_coef=-1"}, "algorithm.kl_ctrl.kl_coef"},
		{[]string{"algorithm.kl_in_reward=true", "algorithm.filter_groups.enable=true", "algorithm.filter_groups.metric=seq_final_reward"}, "algorithm.filter_groups.metric"},
		// A remote backend: what a Tinker service cannot compute is
		// refused by its key.
		{[]string{"backend.api_key=tml-x"}, "backend.url: empty"},
		{[]string{"backend.url=localhost:8000"}, "backend.url"},
		{append(remote[:1:1], "algorithm.entropy_coef=0", "lora.rank=8"), "algorithm.kl: k3: a Tinker service has no KL term"},
		{append(remote[:1:1], "algorithm.kl=none", "lora.rank=8"), "algorithm.entropy_coef"},
		{remote[:3], "backend.lora_rank"},
		{append(remote, "rollout.temperature=0.7"), "rollout.temperature"},
		{append(remote, "lora.targets=[q_proj]"), "lora.targets"},
		{append(remote, "lora.targets=[gate_proj,up_proj,down_proj,q_proj,k_proj,v_proj,o_proj]"), "lora.targets"},
		{append(remote, "backend.loss=cispo"), "backend.loss"},
		{append(remote, "rollout.seed_per_turn=false"), "rollout.seed_per_turn"},
		{append(remote, "lora.rank=4"), "lora.rank: 4, but backend.lora_rank is 8"},
	}
	for _, tt := range tests {
		_, err := Load(path, tt.sets)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: error %v, want %q", tt.sets, err, tt.want)
		}
	}
}

func TestCollapsed(t *testing.T) {
	tests := []struct {
		series []float64
		want   bool
	}{
		{[]float64{0.9, 0.9, 0.5, 0.4}, true},
		{[]float64{0.9, 0.9, 0.5, 0.7}, false},
		{[]float64{0.5, 0.4}, false},
		{[]float64{0.2, 0.3, 0.1, 0.1}, false},
	}
	for _, tt := range tests {
		if got := collapsed(tt.series, 2, 0.3); got != tt.want {
			t.Errorf("collapsed(%v) = %v", tt.series, got)
		}
	}
}

// TestLoRALearnsToyReward: the same toy task with adapters of rank 4 on a
// frozen base.
func TestLoRALearnsToyReward(t *testing.T) {
	cfg := toyRun(t)
	cfg.LoRA.Rank, cfg.LoRA.Alpha = 4, 16
	cfg.Optim.LR = 3e-2
	cfg.Train.ValEvery = 0
	tr, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	tr.Scorer, tr.Log = score.Func(asciiShare), io.Discard
	base := append([]float32(nil), tr.backend.(*Local).policy.Layers[0].Wq...)
	if err := tr.Run(context.Background(), false); err != nil {
		t.Fatal(err)
	}
	var train []Metrics
	for _, m := range tr.history {
		if m.Phase == "train" {
			train = append(train, m)
		}
	}
	first, last := train[0].RewardMean, (train[len(train)-1].RewardMean+train[len(train)-2].RewardMean)/2
	if last < first+0.2 {
		t.Errorf("reward rose from %.3f to %.3f under LoRA: want at least +0.2", first, last)
	}
	for i, v := range tr.backend.(*Local).policy.Layers[0].Wq {
		if v != base[i] {
			t.Fatal("LoRA training changed a base weight")
		}
	}
	if _, err := os.Stat(filepath.Join(cfg.Train.Out, "checkpoints", "step-000006", "adapter_model.safetensors")); err != nil {
		t.Errorf("no adapter checkpoint: %v", err)
	}
}

// TestGuardRollsBack: once the format-valid rate stays far below its best
// for a window, the guard loads the best checkpoint and starts watching
// afresh; with action stop it ends the run with an error.
func TestGuardRollsBack(t *testing.T) {
	cfg := toyRun(t)
	cfg.Train.Steps, cfg.Train.ValEvery, cfg.Train.SaveEvery = 1, 1, 0
	cfg.Train.Collapse = Guard{Action: "rollback", Margin: 0.3, Window: 2}
	tr, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	tr.Scorer, tr.Log = score.Func(asciiShare), io.Discard
	if err := tr.Run(context.Background(), false); err != nil {
		t.Fatal(err)
	}
	saved := weights(t, tr)
	tr.backend.(*Local).engine.Params()[0].Data[0] += 1 // drift away from the best checkpoint
	tr.history = append(tr.history,
		Metrics{Step: 2, Phase: "train", FormatValid: 0.9},
		Metrics{Step: 3, Phase: "train", FormatValid: 0.1},
		Metrics{Step: 4, Phase: "train", FormatValid: 0.2})
	if err := tr.guard(); err != nil {
		t.Fatal(err)
	}
	if got := weights(t, tr); got[0][0] != saved[0][0] || tr.guardFrom != len(tr.history) {
		t.Errorf("no rollback: weight %v (best %v), watching from %d of %d", got[0][0], saved[0][0], tr.guardFrom, len(tr.history))
	}
	if err := tr.guard(); err != nil {
		t.Errorf("the guard fired again right after a rollback: %v", err)
	}
	tr.Config.Train.Collapse.Action = "stop"
	tr.guardFrom = 0
	if err := tr.guard(); err == nil || !strings.Contains(err.Error(), "format-valid rate") {
		t.Errorf("stop: %v", err)
	}
}

func TestTrailingMean(t *testing.T) {
	pts := plotter.XYs{{X: 1, Y: 1}, {X: 2, Y: 2}, {X: 3, Y: 6}, {X: 4, Y: 0}}
	got := trailingMean(pts, 3)
	want := plotter.XYs{{X: 3, Y: 3}, {X: 4, Y: 8.0 / 3}}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i].X != want[i].X || math.Abs(got[i].Y-want[i].Y) > 1e-12 {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
}

// TestShippedRemoteConfig: docs/research-7b-tinker.yaml, the paper's
// recipe for a Tinker service, holds only known keys and passes every
// check but those of files this machine does not have.
func TestShippedRemoteConfig(t *testing.T) {
	data, err := os.ReadFile("../../docs/research-7b-tinker.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cfg := Defaults()
	if err := decodeStrict(data, &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.Backend.URL == "" || !cfg.Algorithm.KLInReward || !cfg.seedPerTurn() {
		t.Errorf("not a remote recipe: %+v", cfg.Backend)
	}
	err = cfg.Validate()
	var errs []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	} else if err != nil {
		errs = []error{err}
	}
	for _, e := range errs {
		if msg := e.Error(); !strings.HasPrefix(msg, "data") && !strings.HasPrefix(msg, "model") {
			t.Errorf("the shipped config fails a check: %v", e)
		}
	}
}
