// Command inference times the model package on a Qwen2-family checkpoint:
// prefill tokens/s for one long prompt, decode tokens/s at batch 1 after it,
// and aggregate decode tokens/s for a batch of sequences stepping together;
// it also reports peak RSS against the size of the weights and KV cache.
// run.sh runs it beside llama.cpp on the same weights and prints the ratios.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"research/model"
	"research/tensor"
)

func main() {
	dir := flag.String("model", "", "model directory (config.json + safetensors)")
	prompt := flag.Int("prompt", 512, "prefill prompt length")
	decode := flag.Int("decode", 32, "decode steps")
	batch := flag.Int("batch", 16, "sequences in the batched decode")
	batchPrompt := flag.Int("batch-prompt", 64, "prompt length of each batched sequence")
	threads := flag.Int("threads", tensor.Workers, "worker goroutines")
	profile := flag.String("cpuprofile", "", "write a CPU profile to this file")
	flag.Parse()
	if *profile != "" {
		f, err := os.Create(*profile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "inference:", err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}
	if err := run(*dir, *prompt, *decode, *batch, *batchPrompt, *threads); err != nil {
		fmt.Fprintln(os.Stderr, "inference:", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

// ids makes a deterministic prompt, the same formula as llama.cpp's speed.mjs.
func ids(n, salt int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = (i*7919 + 13 + salt) % 1000
	}
	return out
}

func run(dir string, promptLen, decode, batch, batchPrompt, threads int) error {
	tensor.Workers = threads
	m, err := model.Load(dir)
	if err != nil {
		return err
	}
	defer m.Close()
	c := m.Config

	// Warm up: one token touches every weight, so page faults of the
	// memory-mapped file are not charged to the prefill.
	if _, err := m.Forward([]model.Input{{Cache: m.NewCache(1), Tokens: []int{1}}}); err != nil {
		return err
	}

	cache := m.NewCache(promptLen + 2*decode)
	t0 := time.Now()
	if _, err := m.Forward([]model.Input{{Cache: cache, Tokens: ids(promptLen, 0)}}); err != nil {
		return err
	}
	prefill := float64(promptLen) / time.Since(t0).Seconds()

	t0 = time.Now()
	for i := range decode {
		if _, err := m.Forward([]model.Input{{Cache: cache, Tokens: []int{(i*31 + 5) % 1000}}}); err != nil {
			return err
		}
	}
	decode1 := float64(decode) / time.Since(t0).Seconds()

	// The same steps feeding tokens without computing logits (no LM head),
	// which is what llama.cpp's speed.mjs times.
	t0 = time.Now()
	for i := range decode {
		if _, err := m.Forward([]model.Input{{Cache: cache, Tokens: []int{(i*17 + 3) % 1000}, NoLogits: true}}); err != nil {
			return err
		}
	}
	decodeNoLogits := float64(decode) / time.Since(t0).Seconds()

	caches := make([]*model.KVCache, batch)
	in := make([]model.Input, batch)
	for b := range caches {
		caches[b] = m.NewCache(batchPrompt + decode)
		in[b] = model.Input{Cache: caches[b], Tokens: ids(batchPrompt, b)}
	}
	if _, err := m.Forward(in); err != nil {
		return err
	}
	t0 = time.Now()
	for i := range decode {
		for b := range in {
			in[b].Tokens = []int{(i*31 + 5 + b) % 1000}
		}
		if _, err := m.Forward(in); err != nil {
			return err
		}
	}
	decodeB := float64(decode*batch) / time.Since(t0).Seconds()

	params := int64(c.VocabSize) * int64(c.HiddenSize)
	if !c.TieWordEmbeddings {
		params *= 2
	}
	params += int64(c.HiddenSize)
	h, q, kv, f := int64(c.HiddenSize), int64(c.QDim()), int64(c.KVDim()), int64(c.IntermediateSize)
	params += int64(c.NumLayers) * (2*h + q*h + q + 2*(kv*h+kv) + h*q + 3*f*h)
	weights := 4 * params
	kvBytes := int64(4*2*c.NumLayers*c.KVDim()) * int64(promptLen+2*decode+batch*(batchPrompt+decode))
	rss := peakRSS()
	out := map[string]any{
		"threads":                       threads,
		"kernels":                       tensor.Kernels(),
		"prefill_tokens_per_s":          prefill,
		"decode_tokens_per_s":           decode1,
		"decode_no_logits_tokens_per_s": decodeNoLogits,
		"batch":                         batch,
		"batch_decode_tokens_per_s":     decodeB,
		"batch_over_single":             decodeB / decode1,
		"weights_bytes":                 weights,
		"kv_cache_bytes":                kvBytes,
		"peak_rss_bytes":                rss,
		"peak_rss_over_weights_plus_kv": float64(rss) / float64(weights+kvBytes),
	}
	return json.NewEncoder(os.Stdout).Encode(out)
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
