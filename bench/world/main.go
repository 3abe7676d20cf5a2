// Command world measures how hard a generated world is for BM25 retrieval
// (the project's search/bm25 index, top-k over the one corpus of all
// worlds): how often retrieving once with the whole question finds every
// supporting passage (naive RAG), and how often retrieving with each gold
// sub-question finds that step's passage (a perfect decomposition). The gap
// between the two is what a policy that searches step by step can win.
//
//	go run ./world [-seed 1] [-k 5] [-split test]
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"research/search/bm25"
	"research/world"
)

func main() {
	seed := flag.Uint64("seed", 1, "world seed (default sizes otherwise)")
	k := flag.Int("k", 5, "passages retrieved per query")
	split := flag.String("split", world.Test, "questions to measure: train, dev or test")
	flag.Parse()

	cfg := world.DefaultConfig
	cfg.Seed = *seed
	g, err := world.Generate(cfg)
	if err != nil {
		log.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "worldbench")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	var corpus bytes.Buffer
	if err := g.WriteCorpus(&corpus); err != nil {
		log.Fatal(err)
	}
	index := filepath.Join(dir, "index")
	if _, err := bm25.Build(context.Background(), &corpus, "corpus", index, bm25.BuildOptions{}); err != nil {
		log.Fatal(err)
	}
	ix, err := bm25.Open(index, bm25.OpenOptions{})
	if err != nil {
		log.Fatal(err)
	}
	defer ix.Close()
	// retrieve returns the IDs of the top passages and their text joined.
	retrieve := func(query string) ([]string, string) {
		docs, err := ix.Search(context.Background(), []string{query}, *k)
		if err != nil {
			log.Fatal(err)
		}
		var ids, texts []string
		for _, d := range docs[0] {
			ids = append(ids, d.ID)
			texts = append(texts, d.Contents)
		}
		return ids, strings.Join(texts, "\n")
	}

	type tally struct{ questions, allFound, firstFound, answerSeen, steps, stepFound, stepTop1 int }
	byType := map[world.QuestionType]*tally{}
	for _, t := range world.QuestionTypes {
		byType[t] = &tally{}
	}
	for _, q := range g.Questions[*split] {
		t := byType[q.Type]
		t.questions++
		got, text := retrieve(q.Question)
		// yes and no are not names to look for.
		if q.Type != world.YesNo && strings.Contains(text, q.Answers[0]) {
			t.answerSeen++
		}
		all := true
		for _, id := range q.Supporting {
			all = all && slices.Contains(got, id)
		}
		if all {
			t.allFound++
		}
		if slices.Contains(got, q.Supporting[0]) {
			t.firstFound++
		}
		for _, s := range q.Decomposition {
			t.steps++
			got, _ := retrieve(s.Question)
			if slices.Contains(got, s.Supporting[0]) {
				t.stepFound++
			}
			if len(got) > 0 && got[0] == s.Supporting[0] {
				t.stepTop1++
			}
		}
	}
	pct := func(a, b int) float64 { return 100 * float64(a) / float64(max(1, b)) }
	fmt.Printf("seed %d, %d passages, %s questions, BM25 top-%d\n\n", cfg.Seed, len(g.Corpus()), *split, *k)
	fmt.Printf("| type | questions | question finds all supporting | question finds first hop | gold answer in question's hits | sub-question finds its passage (top-%d / top-1) |\n|---|---:|---:|---:|---:|---:|\n", *k)
	for _, typ := range world.QuestionTypes {
		t := byType[typ]
		seen := fmt.Sprintf("%.1f%%", pct(t.answerSeen, t.questions))
		if typ == world.YesNo {
			seen = "–"
		}
		fmt.Printf("| %s | %d | %.1f%% | %.1f%% | %s | %.1f%% / %.1f%% |\n", typ, t.questions,
			pct(t.allFound, t.questions), pct(t.firstFound, t.questions), seen,
			pct(t.stepFound, t.steps), pct(t.stepTop1, t.steps))
	}
}
