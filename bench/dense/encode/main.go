// Command encode measures the in-process BERT encoder: passages of a
// FlashRAG corpus ("passage: " prefixed, at most -max-len tokens) encoded
// per second. It writes the token ids it encoded to -ids-out, so that
// torch_encode.py runs PyTorch on exactly the same input.
//
//	go run ./dense/encode -model DIR -corpus wiki18_sample_1000.jsonl -n 64 -threads 2 -ids-out ids.json
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime"
	"time"

	"research/search"
	"research/search/dense/bert"
	"research/tensor"
)

func main() {
	dir := flag.String("model", "", "encoder directory (config.json, model.safetensors, tokenizer.json)")
	corpusPath := flag.String("corpus", "", "FlashRAG corpus JSONL")
	n := flag.Int("n", 64, "passages")
	threads := flag.Int("threads", runtime.NumCPU(), "threads")
	maxLen := flag.Int("max-len", 512, "tokens per passage")
	idsOut := flag.String("ids-out", "", "write the token ids here (JSON)")
	flag.Parse()
	runtime.GOMAXPROCS(*threads)
	tensor.Workers = *threads

	enc, err := bert.Open(*dir, bert.Options{Normalize: true, MaxLen: *maxLen})
	check(err)
	f, err := os.Open(*corpusPath)
	check(err)
	lr := search.NewLineReader(f)
	var texts []string
	for len(texts) < *n {
		line, err := lr.Next()
		if err != nil {
			break
		}
		p, err := search.ParsePassage(line)
		check(err)
		texts = append(texts, "passage: "+p.Contents)
	}
	var ids [][]int
	tokens := 0
	for _, t := range texts {
		ids = append(ids, enc.Tok.Encode(t, *maxLen))
		tokens += len(ids[len(ids)-1])
	}
	if *idsOut != "" {
		raw, _ := json.Marshal(ids)
		check(os.WriteFile(*idsOut, raw, 0o644))
	}
	_, err = enc.EmbedIDs(ids[:1]) // page in the weights
	check(err)
	start := time.Now()
	_, err = enc.Encode(context.Background(), texts)
	check(err)
	el := time.Since(start).Seconds()
	fmt.Printf("go: %d passages, %d tokens, %d threads: %.2f passages/s, %.0f tokens/s\n",
		len(texts), tokens, *threads, float64(len(texts))/el, float64(tokens)/el)
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "encode:", err)
		os.Exit(1)
	}
}
