// Command hotpotrecall measures recall@k of supporting titles with our BM25
// index on a pooled HotpotQA corpus (see ../hotpot_pool.py).
//
//	go run ./search/hotpotrecall CORPUS.jsonl QUESTIONS.jsonl [K]
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"research/search/bm25"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "hotpotrecall:", err)
		os.Exit(1)
	}
}

func run() error {
	if len(os.Args) < 3 {
		return fmt.Errorf("usage: hotpotrecall CORPUS.jsonl QUESTIONS.jsonl [K]")
	}
	k := 5
	if len(os.Args) > 3 {
		var err error
		if k, err = strconv.Atoi(os.Args[3]); err != nil || k < 1 {
			return fmt.Errorf("K = %q: want a positive integer", os.Args[3])
		}
	}
	tmp, err := os.MkdirTemp("", "hotpotrecall")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	f, err := os.Open(os.Args[1])
	if err != nil {
		return err
	}
	defer f.Close()
	dir := filepath.Join(tmp, "index")
	if _, err := bm25.Build(context.Background(), f, os.Args[1], dir, bm25.BuildOptions{Params: bm25.DefaultParams}); err != nil {
		return err
	}
	ix, err := bm25.Open(dir, bm25.OpenOptions{})
	if err != nil {
		return err
	}
	defer ix.Close()

	qf, err := os.Open(os.Args[2])
	if err != nil {
		return err
	}
	defer qf.Close()
	var questions []string
	var supports [][]string
	sc := bufio.NewScanner(qf)
	for sc.Scan() {
		var q struct {
			Question string   `json:"question"`
			Support  []string `json:"support"`
		}
		if err := json.Unmarshal(sc.Bytes(), &q); err != nil {
			return fmt.Errorf("%s: %w", os.Args[2], err)
		}
		questions = append(questions, q.Question)
		supports = append(supports, q.Support)
	}
	if err := sc.Err(); err != nil {
		return err
	}
	res, err := ix.Search(context.Background(), questions, k)
	if err != nil {
		return err
	}
	total := 0.0
	for i, docs := range res {
		got := map[string]bool{}
		for _, d := range docs {
			got[d.Title] = true
		}
		hit := 0
		for _, t := range supports[i] {
			if got[t] {
				hit++
			}
		}
		total += float64(hit) / float64(len(supports[i]))
	}
	fmt.Printf("ours recall@%d %.2f over %d questions, %d paragraphs\n", k, 100*total/float64(len(questions)), len(questions), ix.NumDocs())
	return nil
}
