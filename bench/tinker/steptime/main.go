// Command steptime times GRPO steps of research train through serve-tinker
// on loopback (backend.url) against the same steps in process, on the
// demo's setup: the shipped base policy, the demo world's bridge and chain
// train questions, its BM25 index, batch 8 × 5 rollouts of up to 1,024
// tokens, top-3 search. Issue 22's goal: the API's overhead per step ≤ 10%.
//
// The demo's recipe changes where a Tinker service cannot follow it, in
// both runs alike so that they train the same thing: LoRA rank 8 (alpha
// 32, the service's) instead of full fine-tuning, temperature 1 instead
// of 0.7 (the service scores the untempered policy), no KL term and no
// entropy bonus, and rollout.seed_per_turn, under which both sample the
// same tokens. The server (package tinker/server, what research
// serve-tinker runs) lives in this process on a loopback TCP port, so the
// two compete for the same cores as a local serve-tinker would.
//
// Runs alternate, in process then remote, -rounds times, each training
// -steps steps from the base; a step's time is the wall time of
// Trainer.Step (rollouts through the sampler, reward, update). The medians
// over every timed step, their ratio and the overhead are printed, then a
// JSON line.
//
//	sh bench/tinker/steptime.sh                        # the figure to record
//	go run -C bench ./tinker/steptime -steps 1 -rounds 1 -entities 60 -batch 2 -n 2 -max-tokens 128   # a smoke run
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"time"

	"research/demo"
	"research/generate"
	"research/model"
	"research/rl/trainer"
	"research/tinker/server"
	"research/tokenizer"
	"research/world"
)

type options struct {
	steps, rounds, batch, n, maxTokens, topK, entities int
	out                                                string
}

func main() {
	var o options
	flag.IntVar(&o.steps, "steps", 3, "GRPO steps timed per run")
	flag.IntVar(&o.rounds, "rounds", 2, "rounds of (in process, remote) runs, alternating")
	flag.IntVar(&o.batch, "batch", 8, "questions per step (the demo's 8)")
	flag.IntVar(&o.n, "n", 5, "rollouts per question (the demo's 5)")
	flag.IntVar(&o.maxTokens, "max-tokens", 1024, "response budget, results included (the demo's 1024)")
	flag.IntVar(&o.topK, "top-k", 3, "passages per search (the demo's 3)")
	flag.IntVar(&o.entities, "entities", demo.World.Entities, "entities of the world (the demo's 6000; fewer for a smoke run)")
	flag.StringVar(&o.out, "out", "", "work directory (default: a temporary one, removed)")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "steptime:", err)
		os.Exit(1)
	}
}

func run(o options) error {
	if o.steps < 1 || o.rounds < 1 {
		return fmt.Errorf("-steps %d, -rounds %d: want ≥ 1", o.steps, o.rounds)
	}
	dir := o.out
	if dir == "" {
		d, err := os.MkdirTemp("", "steptime-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	cfg, err := setup(o, dir)
	if err != nil {
		return err
	}
	url, stop, err := serve(cfg.Model, filepath.Join(dir, "tinker"))
	if err != nil {
		return err
	}
	defer stop()

	var local, remote []float64
	var same sameness
	for r := range o.rounds {
		var runs [2][]stepResult
		for i, backend := range []string{"", url} {
			c := cfg
			if backend != "" {
				c.Backend.URL, c.Backend.BaseModel = backend, "base"
			}
			c.Train.Out = filepath.Join(dir, fmt.Sprintf("run-%d-%t", r, backend != ""))
			res, err := steps(c, o.steps)
			if err != nil {
				return err
			}
			runs[i] = res
			times := make([]float64, len(res))
			for k, x := range res {
				times[k] = x.seconds
			}
			name := "in process"
			if backend == "" {
				local = append(local, times...)
			} else {
				name = "remote    "
				remote = append(remote, times...)
			}
			fmt.Printf("round %d %s: steps %s\n", r+1, name, fmtSeconds(times))
		}
		same.compare(runs[0], runs[1])
	}
	ml, mr := median(local), median(remote)
	fmt.Printf("median step: in process %.2f s, through serve-tinker on loopback %.2f s: ratio %.3f, overhead %+.1f%% (goal ≤ 10%%)\n",
		ml, mr, mr/ml, 100*(mr/ml-1))
	fmt.Printf("the same training: rollouts with identical tokens %d of %d; largest difference in reward %.2g, pg_loss %.2g, grad_norm %.2g\n",
		same.identical, same.rollouts, same.reward, same.loss, same.grad)
	line, _ := json.Marshal(map[string]any{"bench": "tinker_steptime", "steps": o.steps, "rounds": o.rounds, "batch": o.batch, "n": o.n,
		"max_tokens": o.maxTokens, "local_step_s": ml, "remote_step_s": mr, "ratio": mr / ml, "local": local, "remote": remote,
		"identical_rollouts": same.identical, "rollouts": same.rollouts, "max_reward_diff": same.reward, "max_pg_loss_diff": same.loss, "max_grad_norm_diff": same.grad})
	fmt.Println(string(line))
	return nil
}

// setup writes the world, its index, the train questions and the base
// policy under dir and returns the run's config (Backend.URL empty).
func setup(o options, dir string) (trainer.Config, error) {
	wc := demo.World
	if o.entities != wc.Entities {
		// A smaller world for a smoke run, in proportion.
		wc.Entities, wc.TrainQuestions = o.entities, max(2*o.entities, o.batch*o.rounds*o.steps)
		wc.HeldOut, wc.DevQuestions, wc.TestQuestions = max(40, o.entities/10), 4, 4
	}
	g, err := world.Generate(wc)
	if err != nil {
		return trainer.Config{}, err
	}
	worldDir := filepath.Join(dir, "world")
	if err := g.WriteDir(worldDir); err != nil {
		return trainer.Config{}, err
	}
	ix, err := g.Index(filepath.Join(dir, "index"))
	if err != nil {
		return trainer.Config{}, err
	}
	ix.Close()
	var qs []world.Question
	for _, q := range g.Questions[world.Train] {
		if q.Type == world.Bridge || q.Type == world.Chain {
			qs = append(qs, q)
		}
	}
	train := filepath.Join(worldDir, "rl-train.jsonl")
	f, err := os.Create(train)
	if err != nil {
		return trainer.Config{}, err
	}
	if err := world.WriteQuestionList(f, qs); err != nil {
		f.Close()
		return trainer.Config{}, err
	}
	if err := f.Close(); err != nil {
		return trainer.Config{}, err
	}
	base := filepath.Join(dir, "base")
	if err := demo.WriteBase(base); err != nil {
		return trainer.Config{}, err
	}

	c := trainer.Defaults()
	c.Model, c.Template = base, "base"
	c.Data.Train = []string{train}
	c.Retriever.Index, c.Retriever.TopK = filepath.Join(dir, "index"), o.topK
	c.Rollout.N, c.Rollout.MaxResponseTokens, c.Rollout.Temperature = o.n, o.maxTokens, 1
	yes := true
	c.Rollout.SeedPerTurn = &yes
	c.Algorithm.KL, c.Algorithm.EntropyCoef = "none", 0
	c.LoRA.Rank, c.LoRA.Alpha = 8, 32
	c.Optim.LR = 1e-4
	c.Train.Steps, c.Train.BatchSize = o.steps, o.batch
	c.Train.ValEvery, c.Train.SaveEvery, c.Train.PlotEvery = 0, 0, 0
	return c, nil
}

// serve starts serve-tinker's server over the base policy on a loopback
// port.
func serve(base, data string) (url string, stop func(), err error) {
	m, err := model.Load(base)
	if err != nil {
		return "", nil, err
	}
	tok, err := tokenizer.Load(base)
	if err != nil {
		m.Close()
		return "", nil, err
	}
	dec := generate.DecoderFunc(func(ids []int) string { s, _ := tok.Decode(ids, false); return s })
	// Micro-batches as large as the trainer's, so that both run the same
	// passes.
	s, err := server.New(server.Config{Model: m, Name: "base", Decoder: dec, DataDir: data, LoRAAlpha: 32,
		MicroBatchTokens: 1 << 16, MaxSampleTokens: 1 << 16, Log: io.Discard})
	if err != nil {
		m.Close()
		return "", nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		s.Close()
		m.Close()
		return "", nil, err
	}
	hs := &http.Server{Handler: s}
	go hs.Serve(ln)
	return "http://" + ln.Addr().String(), func() {
		hs.Close()
		s.Close()
		m.Close()
	}, nil
}

// stepResult is one training step: its wall time, metrics and rollouts'
// tokens.
type stepResult struct {
	seconds float64
	metrics trainer.Metrics
	tokens  [][]int
}

// steps trains n steps of c from the base.
func steps(c trainer.Config, n int) ([]stepResult, error) {
	tr, err := trainer.New(c)
	if err != nil {
		return nil, err
	}
	defer tr.Close()
	tr.Log = io.Discard
	var out []stepResult
	for range n {
		start := time.Now()
		m, trajs, err := tr.Step(context.Background())
		if err != nil {
			return nil, err
		}
		r := stepResult{seconds: time.Since(start).Seconds(), metrics: m}
		for _, t := range trajs {
			r.tokens = append(r.tokens, t.Response)
		}
		out = append(out, r)
	}
	return out, nil
}

// sameness compares the in-process and remote runs of each round: the
// rollouts' response tokens and the step metrics.
type sameness struct {
	rollouts, identical int
	reward, loss, grad  float64 // largest absolute differences
}

func (s *sameness) compare(local, remote []stepResult) {
	for k := range min(len(local), len(remote)) {
		a, b := local[k], remote[k]
		for i := range max(len(a.tokens), len(b.tokens)) {
			s.rollouts++
			if i < len(a.tokens) && i < len(b.tokens) && slices.Equal(a.tokens[i], b.tokens[i]) {
				s.identical++
			}
		}
		s.reward = max(s.reward, math.Abs(a.metrics.RewardMean-b.metrics.RewardMean))
		s.loss = max(s.loss, math.Abs(a.metrics.PGLoss-b.metrics.PGLoss))
		s.grad = max(s.grad, math.Abs(a.metrics.GradNorm-b.metrics.GradNorm))
	}
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func fmtSeconds(v []float64) string {
	out := ""
	for i, x := range v {
		if i > 0 {
			out += " "
		}
		out += fmt.Sprintf("%.2fs", x)
	}
	return out
}
