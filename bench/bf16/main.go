// Command bf16 times batch-1 decode with the weight matrices in float32 and
// in bfloat16 (model.BF16), on the same weights, and prints both and the
// ratio: issue 24's target is BF16 ≥ 1.6× F32, since a decode step streams
// every weight once and BF16 halves the bytes.
//
// By default the model is Qwen2.5-0.5B's shape (24 layers, hidden 896, 14/2
// heads, FFN 4864, vocab 151,936, tied) with random weights built in
// process (no files; about 3 GB of memory while both copies live); -model
// times a checkpoint instead, loaded once per dtype. Each round prefills
// -prompt tokens into a fresh cache, then decodes -decode tokens one at a
// time with the next-token logits every step, as generation does (a step
// fed with NoLogits is not a decode step to Forward: it takes the block
// kernel, so it would not time decode); F32 and BF16 rounds alternate so
// that a load that comes and goes on a shared machine hits both alike, and
// the medians are reported. The last line is JSON.
//
//	go run -C bench ./bf16                       # the recorded figure
//	go run -C bench ./bf16 -layers 2 -decode 4 -rounds 1   # a smoke run
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"time"

	"research/model"
	"research/tensor"
)

func main() {
	dir := flag.String("model", "", "a checkpoint to time (default: random weights of -layers Qwen2.5-0.5B layers)")
	layers := flag.Int("layers", 24, "layers of the random model (24 is Qwen2.5-0.5B's)")
	prompt := flag.Int("prompt", 64, "tokens prefilled before decoding")
	decode := flag.Int("decode", 32, "decode steps timed per round")
	rounds := flag.Int("rounds", 3, "rounds per dtype, alternating")
	threads := flag.Int("threads", tensor.Workers, "worker goroutines")
	profile := flag.String("cpuprofile", "", "write a CPU profile of the timed rounds to this file")
	flag.Parse()
	if err := run(*dir, *layers, *prompt, *decode, *rounds, *threads, *profile); err != nil {
		fmt.Fprintln(os.Stderr, "bf16:", err)
		os.Exit(1)
	}
}

// qwen05 is Qwen2.5-0.5B's config.json, with n layers.
func qwen05(n int) model.Config {
	return model.Config{ModelType: "qwen2", VocabSize: 151936, HiddenSize: 896, IntermediateSize: 4864, NumLayers: n,
		NumHeads: 14, NumKVHeads: 2, HeadDim: 64, RopeTheta: 1e6, RMSNormEps: 1e-6, MaxPositions: 32768, TieWordEmbeddings: true}
}

// models returns the F32 and the BF16 model: the checkpoint at dir loaded
// both ways, or two random models from one seed, the second rounded.
func models(dir string, layers int) (f32, bf16 *model.Model, err error) {
	if dir != "" {
		if f32, err = model.LoadAs(dir, model.F32); err != nil {
			return nil, nil, err
		}
		if bf16, err = model.LoadAs(dir, model.BF16); err != nil {
			f32.Close()
			return nil, nil, err
		}
		return f32, bf16, nil
	}
	build := func() (*model.Model, error) {
		return model.New(qwen05(layers), 0.02, rand.New(rand.NewPCG(0, 24)))
	}
	// The BF16 copy first, its float32 weights freed before the F32 model
	// is built: 3 GB at the peak rather than 5.
	if bf16, err = build(); err != nil {
		return nil, nil, err
	}
	bf16.ToBF16()
	debug.FreeOSMemory()
	if f32, err = build(); err != nil {
		return nil, nil, err
	}
	return f32, bf16, nil
}

// round prefills a fresh cache with prompt tokens, then times decode
// steps and returns their rate, tokens/s.
func round(m *model.Model, prompt, decode int) (float64, error) {
	ids := make([]int, prompt)
	for i := range ids {
		ids[i] = (i*7919 + 13) % 1000
	}
	cache := m.NewCache(prompt + decode)
	if _, err := m.Forward([]model.Input{{Cache: cache, Tokens: ids}}); err != nil {
		return 0, err
	}
	t0 := time.Now()
	for i := range decode {
		if _, err := m.Forward([]model.Input{{Cache: cache, Tokens: []int{(i*31 + 5) % 1000}}}); err != nil {
			return 0, err
		}
	}
	return float64(decode) / time.Since(t0).Seconds(), nil
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func run(dir string, layers, prompt, decode, rounds, threads int, profile string) error {
	if prompt < 1 || decode < 1 || rounds < 1 || layers < 1 {
		return fmt.Errorf("-prompt %d, -decode %d, -rounds %d and -layers %d must be ≥ 1", prompt, decode, rounds, layers)
	}
	tensor.Workers = threads
	f32, bf16, err := models(dir, layers)
	if err != nil {
		return err
	}
	defer f32.Close()
	defer bf16.Close()
	ms := []*model.Model{f32, bf16}
	// Warm up: one token touches every weight, so page faults (of a
	// memory-mapped checkpoint, or of fresh allocations) are not timed.
	for _, m := range ms {
		if _, err := m.Forward([]model.Input{{Cache: m.NewCache(1), Tokens: []int{1}}}); err != nil {
			return err
		}
	}
	if profile != "" {
		f, err := os.Create(profile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	fmt.Printf("load average before: %s on %d threads (the machine may be shared)\n", loadavg(), threads)
	rates := make([][]float64, len(ms))
	for r := range rounds {
		for i, m := range ms {
			t, err := round(m, prompt, decode)
			if err != nil {
				return fmt.Errorf("%s, round %d: %w", m.DType(), r+1, err)
			}
			rates[i] = append(rates[i], t)
			fmt.Printf("round %d %-4s decode %6.2f tok/s\n", r+1, m.DType(), t)
		}
	}
	fmt.Printf("load average after: %s\n", loadavg())
	f, b := median(rates[0]), median(rates[1])
	c := f32.Config
	// The kernel set runs both dtypes. With BF16 weights a batch-1 step
	// takes the rows kernel's one-row AVX2 kernel with the assembly sets
	// (AVX-512 adds nothing for one row) and widens each weight in a
	// register, by a shift or a mask (tensor.BF16Matrix's layout); the Go
	// set widens as it reads. No set uses AVX512_BF16's
	// dot products: they would round the activations to BF16 too.
	path := map[string]string{"go": "pure Go, widened as read", "avx2": "AVX2 one-row kernel, widened in registers",
		"avx512": "AVX2 one-row kernel, widened in registers (AVX-512 tiles serve 4+ rows)"}[tensor.Kernels()]
	fmt.Printf("kernels %s (this CPU has %s); BF16 batch-1 path: %s\n", tensor.Kernels(), strings.Join(tensor.KernelSets(), ","), path)
	fmt.Printf("model: %d layers, hidden %d, vocab %d; prompt %d, %d decode steps × %d rounds (medians)\n",
		c.NumLayers, c.HiddenSize, c.VocabSize, prompt, decode, rounds)
	fmt.Printf("decode batch 1, generating: f32 %6.2f tok/s  bf16 %6.2f tok/s  ratio %.2f (goal ≥ 1.6)\n", f, b, b/f)
	return json.NewEncoder(os.Stdout).Encode(map[string]any{
		"kernels": tensor.Kernels(), "threads": threads, "layers": c.NumLayers, "prompt": prompt, "decode": decode, "rounds": rounds,
		"f32_decode_tokens_per_s": f, "bf16_decode_tokens_per_s": b, "bf16_over_f32": b / f, "peak_rss_bytes": peakRSS(),
	})
}

func loadavg() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Join(strings.Fields(string(data))[:3], " ")
}

// peakRSS reads the process's high-water resident set size (Linux), or 0.
func peakRSS() int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb * 1024
		}
	}
	return 0
}
