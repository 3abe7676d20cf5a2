package trainer_test

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"research/demo"
	"research/generate"
	"research/model"
	"research/rl/trainer"
	"research/rollout"
	"research/tinker/server"
	"research/tokenizer"
	"research/world"
)

// remoteRun sets up a small ReSearch run on the demo's shipped base
// policy — a toy world, its BM25 index, its train questions — and a
// serve-tinker server over the same base on loopback. The base policy
// follows the format and searches, so its rollouts run several turns.
func remoteRun(t *testing.T) (cfg trainer.Config, url string) {
	t.Helper()
	dir := t.TempDir()
	g, err := world.Generate(world.Config{Seed: 1, Entities: 40, HeldOut: 40, TrainQuestions: 20, DevQuestions: 4, TestQuestions: 4})
	if err != nil {
		t.Fatal(err)
	}
	worldDir := filepath.Join(dir, "world")
	if err := g.WriteDir(worldDir); err != nil {
		t.Fatal(err)
	}
	ix, err := g.Index(filepath.Join(dir, "index"))
	if err != nil {
		t.Fatal(err)
	}
	ix.Close()
	base := filepath.Join(dir, "base")
	if err := demo.WriteBase(base); err != nil {
		t.Fatal(err)
	}

	m, err := model.Load(base)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	tok, err := tokenizer.Load(base)
	if err != nil {
		t.Fatal(err)
	}
	dec := generate.DecoderFunc(func(ids []int) string { s, _ := tok.Decode(ids, false); return s })
	s, err := server.New(server.Config{Model: m, Name: "base", Decoder: dec, DataDir: filepath.Join(dir, "tinker"),
		LoRAAlpha: 32, MicroBatchTokens: 1 << 16, MaxSampleTokens: 1 << 14, Log: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)

	cfg = trainer.Defaults()
	cfg.Model, cfg.Template = base, "base"
	cfg.Data.Train = []string{filepath.Join(worldDir, world.QuestionFile(world.Train))}
	cfg.Retriever.Index, cfg.Retriever.TopK = filepath.Join(dir, "index"), 2
	cfg.Rollout.N, cfg.Rollout.MaxResponseTokens, cfg.Rollout.Temperature = 4, 400, 1
	yes := true
	cfg.Rollout.SeedPerTurn = &yes
	cfg.Algorithm.KL, cfg.Algorithm.EntropyCoef = "none", 0
	cfg.LoRA.Rank, cfg.LoRA.Alpha = 8, 32
	// A large learning rate, so that the weights move enough for a
	// sampler that missed an update to sample other tokens.
	cfg.Optim.LR = 2e-3
	cfg.Train.Steps, cfg.Train.BatchSize, cfg.Train.Seed = 3, 2, 3
	cfg.Train.ValEvery, cfg.Train.SaveEvery, cfg.Train.PlotEvery = 0, 0, 0
	return cfg, srv.URL
}

// runTrain runs cfg into out and returns its metrics and each step's
// trajectories, as the run dumped them.
func runTrain(t *testing.T, cfg trainer.Config, out string) ([]trainer.Metrics, [][]*rollout.Trajectory) {
	t.Helper()
	cfg.Train.Out = out
	tr, err := trainer.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	tr.Log = io.Discard
	if err := tr.Run(context.Background(), false); err != nil {
		t.Fatal(err)
	}
	var steps [][]*rollout.Trajectory
	for step := 1; step <= cfg.Train.Steps; step++ {
		f, err := os.Open(filepath.Join(out, "rollouts", fmt.Sprintf("train-step%06d.jsonl", step)))
		if err != nil {
			t.Fatal(err)
		}
		trajs, err := rollout.ReadJSONL(f, f.Name())
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		steps = append(steps, trajs)
	}
	return tr.History(), steps
}

// TestRemoteEquivalence: research train on a serve-tinker server on
// loopback (backend.url) samples the same rollouts, token for token with
// the same results inserted, and gives them the same rewards as in
// process, for three GRPO steps of LoRA rank 8 with fixed seeds; the
// losses agree to 1e-4. The sampler runs every turn of every rollout
// through asample, and fresh sampler weights each step.
func TestRemoteEquivalence(t *testing.T) {
	cfg, url := remoteRun(t)
	dir := t.TempDir()
	local, localTrajs := runTrain(t, cfg, filepath.Join(dir, "local"))
	cfg.Backend.URL, cfg.Backend.BaseModel = url, "base"
	remote, remoteTrajs := runTrain(t, cfg, filepath.Join(dir, "remote"))

	var searches, maxDiff float64
	for s := range localTrajs {
		lt, rt := localTrajs[s], remoteTrajs[s]
		if len(lt) != len(rt) {
			t.Fatalf("step %d: %d rollouts in process, %d remote", s+1, len(lt), len(rt))
		}
		for i := range lt {
			if !slices.Equal(lt[i].Response, rt[i].Response) || !slices.Equal(lt[i].Mask, rt[i].Mask) {
				t.Fatalf("step %d rollout %d differs:\nin process %q\nremote     %q", s+1, i, lt[i].ResponseText, rt[i].ResponseText)
			}
			if lt[i].Reward != rt[i].Reward {
				t.Errorf("step %d rollout %d: reward %v in process, %v remote", s+1, i, lt[i].Reward, rt[i].Reward)
			}
			for j := range lt[i].Logprobs {
				if d := math.Abs(lt[i].Logprobs[j] - rt[i].Logprobs[j]); d > 1e-3 {
					t.Errorf("step %d rollout %d token %d: sampler logprob %v in process, %v remote", s+1, i, j, lt[i].Logprobs[j], rt[i].Logprobs[j])
					break
				}
			}
			searches += float64(len(lt[i].Searches))
		}
	}
	if searches == 0 {
		t.Error("no rollout searched: the test does not cover multi-turn sampling")
	}
	learnt := false
	for _, m := range local {
		learnt = learnt || (m.RewardStd > 0 && m.GradNorm > 0)
	}
	if !learnt {
		t.Error("no step had rewards to learn from: the test does not cover the update")
	}
	if len(local) != len(remote) {
		t.Fatalf("%d metric lines in process, %d remote", len(local), len(remote))
	}
	for i := range local {
		l, r := local[i], remote[i]
		if l.RewardMean != r.RewardMean {
			t.Errorf("step %d: reward mean %v in process, %v remote", l.Step, l.RewardMean, r.RewardMean)
		}
		d := math.Abs(l.PGLoss - r.PGLoss)
		maxDiff = max(maxDiff, d)
		if d > 1e-4 || math.Abs(l.ClipFrac-r.ClipFrac) > 1e-4 {
			t.Errorf("step %d: loss %v clip %v in process, %v and %v remote", l.Step, l.PGLoss, l.ClipFrac, r.PGLoss, r.ClipFrac)
		}
		if math.Abs(l.GradNorm-r.GradNorm) > 1e-3*max(1, l.GradNorm) {
			t.Errorf("step %d: grad norm %v in process, %v remote", l.Step, l.GradNorm, r.GradNorm)
		}
	}
	for i := range local {
		t.Logf("step %d: reward %.3f ± %.3f, loss %.6g in process, %.6g remote, grad norm %.4g / %.4g",
			local[i].Step, local[i].RewardMean, local[i].RewardStd, local[i].PGLoss, remote[i].PGLoss, local[i].GradNorm, remote[i].GradNorm)
	}
	t.Logf("%d steps, %.2f searches per rollout; largest loss difference %.3g", len(local), searches/float64(len(localTrajs)*len(localTrajs[0])), maxDiff)
	if !strings.HasPrefix(url, "http://127.0.0.1") {
		t.Errorf("server at %s, want loopback", url)
	}

	// --resume: a remote run checkpointed at step 2 (save_weights, the
	// tinker:// path kept in the checkpoint) and resumed in a new session
	// (load_weights with the optimizer) samples step 3 as the unbroken run.
	out := filepath.Join(dir, "resumed")
	cfg.Train.Steps, cfg.Train.SaveEvery = 2, 1
	runTrain(t, cfg, out)
	cp, err := os.ReadFile(filepath.Join(out, "checkpoints", "step-000002", "tinker_checkpoint.json"))
	if err != nil || !strings.Contains(string(cp), `"tinker_path": "tinker://`) || !strings.Contains(string(cp), `/sampler_weights/step-000002"`) {
		t.Fatalf("checkpoint: %s %v", cp, err)
	}
	cfg.Train.Steps, cfg.Train.Out = 3, out
	tr, err := trainer.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	tr.Log = io.Discard
	if err := tr.Run(context.Background(), true); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(out, "rollouts", "train-step000003.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	resumed, err := rollout.ReadJSONL(f, f.Name())
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	for i, tr := range resumed {
		if !slices.Equal(tr.Response, remoteTrajs[2][i].Response) {
			t.Fatalf("resumed step 3 rollout %d differs from the unbroken run's:\n%q\n%q", i, tr.ResponseText, remoteTrajs[2][i].ResponseText)
		}
	}
	h := tr.History()
	if last := h[len(h)-1]; last.Step != 3 || math.Abs(last.PGLoss-remote[2].PGLoss) > 1e-6 {
		t.Errorf("resumed step %d: loss %v, unbroken %v", last.Step, last.PGLoss, remote[2].PGLoss)
	}
}

// TestRemoteKLInReward: algorithm.kl_in_reward through a serve-tinker
// server (reference logprobs from a sampler on the base model, prompt
// logprobs) charges what the in-process trainer charges (its frozen base).
func TestRemoteKLInReward(t *testing.T) {
	cfg, url := remoteRun(t)
	cfg.Train.Steps = 2
	cfg.Algorithm.KLInReward, cfg.Algorithm.KLPenalty, cfg.Algorithm.KLCtrl.KLCoef = true, "low_var_kl", 0.05
	dir := t.TempDir()
	local, localTrajs := runTrain(t, cfg, filepath.Join(dir, "local"))
	cfg.Backend.URL, cfg.Backend.BaseModel = url, "base"
	remote, remoteTrajs := runTrain(t, cfg, filepath.Join(dir, "remote"))
	for s := range local {
		if local[s].KLPenalty == 0 && s > 0 {
			t.Errorf("step %d: no KL charged after an update", s+1)
		}
		if d := math.Abs(local[s].KLPenalty - remote[s].KLPenalty); d > 1e-6 {
			t.Errorf("step %d: KL charged %v in process, %v remote", s+1, local[s].KLPenalty, remote[s].KLPenalty)
		}
		if d := math.Abs(local[s].PGLoss - remote[s].PGLoss); d > 1e-4 {
			t.Errorf("step %d: loss %v in process, %v remote", s+1, local[s].PGLoss, remote[s].PGLoss)
		}
		for i := range localTrajs[s] {
			if !slices.Equal(localTrajs[s][i].Response, remoteTrajs[s][i].Response) {
				t.Fatalf("step %d rollout %d differs", s+1, i)
			}
		}
		t.Logf("step %d: KL charged %.6g in process, %.6g remote", s+1, local[s].KLPenalty, remote[s].KLPenalty)
	}
}
