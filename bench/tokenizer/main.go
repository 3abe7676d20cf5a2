// Command tokenizer-bench measures single-thread encode throughput of
// research/tokenizer on a JSONL file of {"text"} chunks and prints MB/s,
// the id count and a checksum of all ids (to compare with hf_bench.mjs).
//
//	go run ./tokenizer -tokenizer PATH -input chunks.jsonl
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"hash/fnv"
	"os"
	"runtime"
	"time"

	"research/tokenizer"
)

func main() {
	path := flag.String("tokenizer", "", "tokenizer.json or directory")
	input := flag.String("input", "", "JSONL file of {\"text\"} chunks")
	minTime := flag.Duration("time", 3*time.Second, "measure for at least this long")
	flag.Parse()
	if err := run(*path, *input, *minTime); err != nil {
		fmt.Fprintln(os.Stderr, "tokenizer-bench:", err)
		os.Exit(1)
	}
}

func run(path, input string, minTime time.Duration) error {
	runtime.GOMAXPROCS(1)
	tk, err := tokenizer.Load(path)
	if err != nil {
		return err
	}
	texts, bytes, err := readTexts(input)
	if err != nil {
		return err
	}
	// The first pass warms the word cache, as HF's is warmed by its own.
	h := fnv.New64a()
	count := 0
	for _, t := range texts {
		for _, id := range tk.Encode(t) {
			fmt.Fprintf(h, "%d,", id)
			count++
		}
	}
	passes, start := 0, time.Now()
	for time.Since(start) < minTime {
		for _, t := range texts {
			tk.Encode(t)
		}
		passes++
	}
	elapsed := time.Since(start).Seconds()
	fmt.Printf("go  %.2f MB/s  (%d bytes x %d passes in %.2fs) ids=%d checksum=%016x\n",
		float64(bytes)*float64(passes)/elapsed/1e6, bytes, passes, elapsed, count, h.Sum64())
	return nil
}

func readTexts(path string) ([]string, int, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	var texts []string
	n := 0
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<28)
	for line := 1; sc.Scan(); line++ {
		var rec struct{ Text string }
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			return nil, 0, fmt.Errorf("%s:%d: %w", path, line, err)
		}
		texts = append(texts, rec.Text)
		n += len(rec.Text)
	}
	return texts, n, sc.Err()
}
