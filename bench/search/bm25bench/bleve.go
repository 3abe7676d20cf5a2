package main

import (
	"bufio"
	"fmt"
	"os"
	"runtime"
	"sync"
	"time"

	"github.com/blevesearch/bleve/v2"

	"research/search"
)

// benchBleve indexes the corpus with bleve v2, BM25 scoring and its English
// analyzer, storing the contents so that searches return passages as ours do.
func benchBleve(corpus, dir string, queries []string) (result, error) {
	m := bleve.NewIndexMapping()
	m.ScoringModel = "bm25"
	m.DefaultAnalyzer = "en"
	start := time.Now()
	ix, err := bleve.New(dir, m)
	if err != nil {
		return result{}, err
	}
	f, err := os.Open(corpus)
	if err != nil {
		return result{}, err
	}
	defer f.Close()
	lr := search.NewLineReader(bufio.NewReader(f))
	b := ix.NewBatch()
	for {
		line, err := lr.Next()
		if err != nil {
			break
		}
		p, err := search.ParsePassage(line)
		if err != nil {
			return result{}, fmt.Errorf("line %d: %w", lr.Line, err)
		}
		if err := b.Index(p.ID, map[string]string{"contents": p.Contents}); err != nil {
			return result{}, err
		}
		if b.Size() == 1000 {
			if err := ix.Batch(b); err != nil {
				return result{}, err
			}
			b = ix.NewBatch()
		}
	}
	if err := ix.Batch(b); err != nil {
		return result{}, err
	}
	if err := ix.Close(); err != nil {
		return result{}, err
	}
	r := result{Engine: "bleve", BuildS: time.Since(start).Seconds(), SizeMB: dirSizeMB(dir)}

	start = time.Now()
	ix, err = bleve.Open(dir)
	if err != nil {
		return result{}, err
	}
	defer ix.Close()
	one := func(q string) error {
		mq := bleve.NewMatchQuery(q)
		req := bleve.NewSearchRequestOptions(mq, 5, 0, false)
		req.Fields = []string{"contents"}
		_, err := ix.Search(req)
		return err
	}
	if err := one(queries[0]); err != nil {
		return result{}, err
	}
	r.StartupS = time.Since(start).Seconds()
	batch := func(qs []string) error {
		if len(qs) == 1 {
			return one(qs[0])
		}
		var wg sync.WaitGroup
		errs := make([]error, len(qs))
		next := make(chan int, len(qs))
		for i := range qs {
			next <- i
		}
		close(next)
		for range runtime.GOMAXPROCS(0) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range next {
					errs[i] = one(qs[i])
				}
			}()
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				return err
			}
		}
		return nil
	}
	if r.SingleQPS, err = timeQueries(queries, batch, 1); err != nil {
		return result{}, err
	}
	if r.BatchQPS, err = timeQueries(queries, batch, 256); err != nil {
		return result{}, err
	}
	r.Note = "bm25 (bleve's fixed k1=1.2 b=0.75), en analyzer, batch on all cores"
	return r, nil
}
