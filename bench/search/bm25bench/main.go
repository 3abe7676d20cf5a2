// Command bm25bench compares our BM25 engine with bleve v2 (BM25 scoring)
// and Xapian (Debian python3-xapian, via xapian_bench.py) on a generated
// Zipfian corpus, in the same run: build time, index size, start-up time,
// single-query QPS and 256-query-batch QPS for top-5 with stored passages.
//
//	go run ./search/bm25bench --docs 1000000 --work /tmp/bm25bench
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// result is one engine's figures.
type result struct {
	Engine    string  `json:"engine"`
	BuildS    float64 `json:"build_s"`
	SizeMB    float64 `json:"size_mb"`
	StartupS  float64 `json:"startup_s"`
	SingleQPS float64 `json:"single_qps"`
	BatchQPS  float64 `json:"batch_qps"`
	Note      string  `json:"note,omitempty"`
}

func main() {
	docs := flag.Int("docs", 200000, "passages in the generated corpus")
	words := flag.Int("words", 100, "mean words per passage")
	vocab := flag.Int("vocab", 200000, "vocabulary size")
	nq := flag.Int("queries", 2048, "queries to run")
	work := flag.String("work", filepath.Join(os.TempDir(), "bm25bench"), "work directory (corpus and indexes)")
	engines := flag.String("engines", "ours,bleve,xapian", "engines to run, comma-separated")
	flag.Parse()
	if err := run(*docs, *words, *vocab, *nq, *work, strings.Split(*engines, ",")); err != nil {
		fmt.Fprintln(os.Stderr, "bm25bench:", err)
		os.Exit(1)
	}
}

func run(docs, words, vocab, nq int, work string, engines []string) error {
	if err := os.MkdirAll(work, 0o755); err != nil {
		return err
	}
	corpus := filepath.Join(work, fmt.Sprintf("corpus-%d-%d-%d.jsonl", docs, words, vocab))
	queriesPath := corpus + ".queries"
	if _, err := os.Stat(queriesPath); err != nil {
		fmt.Fprintf(os.Stderr, "generating %d passages...\n", docs)
		if err := generate(corpus, queriesPath, docs, words, vocab, nq); err != nil {
			return err
		}
	}
	queries, err := readLines(queriesPath)
	if err != nil {
		return err
	}
	fmt.Printf("corpus: %d passages, ~%d words each, Zipf vocabulary of %d; %d queries, top-5; GOMAXPROCS %d\n",
		docs, words, vocab, len(queries), runtime.GOMAXPROCS(0))
	var results []result
	for _, e := range engines {
		dir := filepath.Join(work, "index-"+e)
		os.RemoveAll(dir)
		var r result
		switch e {
		case "ours":
			r, err = benchOurs(corpus, dir, queries)
		case "bleve":
			r, err = benchBleve(corpus, dir, queries)
		case "xapian":
			r, err = benchXapian(corpus, dir, queriesPath)
		default:
			err = fmt.Errorf("unknown engine %q", e)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", e, err)
		}
		os.RemoveAll(dir)
		fmt.Printf("%-7s build %7.1fs  size %7.1f MB  start-up %6.3fs  single %8.0f q/s  batch-256 %8.0f q/s  %s\n",
			r.Engine, r.BuildS, r.SizeMB, r.StartupS, r.SingleQPS, r.BatchQPS, r.Note)
		results = append(results, r)
	}
	if len(results) > 1 && results[0].Engine == "ours" {
		for _, r := range results[1:] {
			fmt.Printf("ours vs %-6s build %.2fx faster, single %.2fx, batch %.2fx the QPS, size %.2fx\n", r.Engine,
				r.BuildS/results[0].BuildS, results[0].SingleQPS/r.SingleQPS, results[0].BatchQPS/r.BatchQPS, results[0].SizeMB/r.SizeMB)
		}
	}
	return nil
}

// timeQueries runs every query once with search and returns queries per second.
func timeQueries(queries []string, search func(q []string) error, batch int) (float64, error) {
	start := time.Now()
	for i := 0; i < len(queries); i += batch {
		if err := search(queries[i:min(i+batch, len(queries))]); err != nil {
			return 0, err
		}
	}
	return float64(len(queries)) / time.Since(start).Seconds(), nil
}

func dirSizeMB(dir string) float64 {
	var n int64
	filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if info, err := d.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	return float64(n) / 1e6
}

func readLines(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	return lines, sc.Err()
}

// benchXapian runs xapian_bench.py, which prints one JSON result.
func benchXapian(corpus, dir, queries string) (result, error) {
	_, self, _, _ := runtime.Caller(0)
	script := filepath.Join(filepath.Dir(self), "..", "xapian_bench.py")
	out, err := exec.CommandContext(context.Background(), "/usr/bin/python3", script, corpus, dir, queries).Output()
	if err != nil {
		return result{}, fmt.Errorf("%s: %w", script, err)
	}
	var r result
	if err := json.Unmarshal(out, &r); err != nil {
		return result{}, fmt.Errorf("%s printed %q: %w", script, out, err)
	}
	return r, nil
}
