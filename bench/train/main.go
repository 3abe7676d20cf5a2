// Command train times one training step — the scoring forward, backward
// from per-token weights on logprobs and entropies, and AdamW — on a random
// Qwen2 of a given shape, and prints tokens/s and peak memory. run.sh runs
// it beside torch_train.py, PyTorch doing the same work.
package main

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime/pprof"
	"strings"
	"time"

	"research/model"
	"research/tensor"
	"research/train"
)

// shapes are the benchmark's models: the demo's base policy, a small one
// and four layers of Qwen2.5-0.5B.
var shapes = map[string]model.Config{
	"base": {ModelType: "qwen2", VocabSize: 2048, HiddenSize: 128, IntermediateSize: 384, NumLayers: 4,
		NumHeads: 4, NumKVHeads: 2, HeadDim: 32, RopeTheta: 1e4, RMSNormEps: 1e-6, TieWordEmbeddings: true},
	"small": {ModelType: "qwen2", VocabSize: 4096, HiddenSize: 256, IntermediateSize: 1024, NumLayers: 4,
		NumHeads: 4, NumKVHeads: 2, HeadDim: 64, RopeTheta: 1e6, RMSNormEps: 1e-6, TieWordEmbeddings: true},
	"qwen05-slice": {ModelType: "qwen2", VocabSize: 151936, HiddenSize: 896, IntermediateSize: 4864, NumLayers: 4,
		NumHeads: 14, NumKVHeads: 2, HeadDim: 64, RopeTheta: 1e6, RMSNormEps: 1e-6, TieWordEmbeddings: true},
}

func main() {
	shape := flag.String("shape", "small", "base, small or qwen05-slice")
	seqs := flag.Int("seqs", 4, "sequences per step")
	seqLen := flag.Int("len", 512, "tokens per sequence")
	steps := flag.Int("steps", 3, "timed steps (after one warm-up step)")
	threads := flag.Int("threads", 2, "worker threads")
	recompute := flag.Bool("recompute", false, "recompute activations per layer in backward")
	masked := flag.Float64("masked", 0, "share of each sequence, a run of tokens in its middle, that the loss masks out (as retrieved results) and the step skips")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the timed steps to this file")
	flag.Parse()
	cfg, ok := shapes[*shape]
	if !ok {
		fmt.Fprintf(os.Stderr, "train bench: -shape %q: want base, small or qwen05-slice\n", *shape)
		os.Exit(2)
	}
	if !(*masked >= 0 && *masked <= 1) {
		fmt.Fprintf(os.Stderr, "train bench: -masked %g: want a share in [0, 1]\n", *masked)
		os.Exit(2)
	}
	tensor.Workers = *threads

	m := (&model.Model{Config: cfg, Layers: make([]model.Layer, cfg.NumLayers)}).NewGrads()
	rng := rand.New(rand.NewPCG(1, 1))
	for _, p := range m.Params() {
		for i := range p.Data {
			if strings.HasSuffix(p.Name, "norm.weight") {
				p.Data[i] = 1
			} else {
				p.Data[i] = float32(0.02 * rng.NormFloat64())
			}
		}
	}
	tc := train.DefaultConfig()
	tc.LR, tc.Recompute = 1e-5, *recompute
	e, err := train.New(m, nil, tc)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	batch := make([]train.Sequence, *seqs)
	w := make([][]float64, *seqs)
	for i := range batch {
		toks := make([]int, *seqLen)
		for j := range toks {
			toks[j] = rng.IntN(cfg.VocabSize)
		}
		w[i] = make([]float64, *seqLen-1)
		skip := make([]bool, *seqLen-1)
		lo := int(float64(len(skip)) * (1 - *masked) / 2)
		for j := range w[i] {
			if skip[j] = j >= lo && j < lo+int(*masked*float64(len(skip))); !skip[j] {
				w[i][j] = 1 / float64(*seqs**seqLen)
			}
		}
		batch[i] = train.Sequence{Tokens: toks, From: 1, Skip: skip}
	}
	step := func() (score, back, opt time.Duration) {
		t0 := time.Now()
		p, err := e.Score(batch)
		if err != nil {
			panic(err)
		}
		t1 := time.Now()
		if err := p.Backward(w, w); err != nil {
			panic(err)
		}
		t2 := time.Now()
		if _, err := e.Step(); err != nil {
			panic(err)
		}
		return t1.Sub(t0), t2.Sub(t1), time.Since(t2)
	}
	step()
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	var s, b, o time.Duration
	for range *steps {
		ds, db, do := step()
		s, b, o = s+ds, b+db, o+do
	}
	n := time.Duration(*steps)
	total := (s + b + o) / n
	tokens := *seqs * *seqLen
	fmt.Printf("ours  %-13s %d×%d tokens  forward %.3fs  backward %.3fs  adamw %.3fs  step %.3fs  %.0f tokens/s  peak RSS %.2f GiB\n",
		*shape, *seqs, *seqLen, (s / n).Seconds(), (b / n).Seconds(), (o / n).Seconds(), total.Seconds(),
		float64(tokens)/total.Seconds(), peakGiB())
}

// peakGiB reads the process's peak resident memory (VmHWM) from /proc.
func peakGiB() float64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		var kb float64
		if _, err := fmt.Sscanf(line, "VmHWM: %f kB", &kb); err == nil {
			return kb / (1 << 20)
		}
	}
	return 0
}
