package view

import (
	"context"
	"fmt"
	"sync"

	"research/search"
	"research/search/bm25"
)

// searcher opens the run's BM25 index on the first query: most visits
// never search, and a large index should not slow the page's start.
type searcher struct {
	dir  string
	once sync.Once
	ix   *bm25.Index
	err  error
}

func newSearcher(dir string) *searcher { return &searcher{dir: dir} }

func (s *searcher) search(ctx context.Context, query string, k int) ([]search.Doc, error) {
	if s.dir == "" {
		return nil, fmt.Errorf("the run names no index")
	}
	s.once.Do(func() {
		// The checksum pass reads the whole index; a viewer only reads it.
		s.ix, s.err = bm25.Open(s.dir, bm25.OpenOptions{SkipVerify: true})
		if s.err != nil {
			s.err = fmt.Errorf("index %s: %w", s.dir, s.err)
		}
	})
	if s.err != nil {
		return nil, s.err
	}
	docs, err := s.ix.Search(ctx, []string{query}, k)
	if err != nil {
		return nil, err
	}
	return docs[0], nil
}

func (s *searcher) close() error {
	if s.ix != nil {
		return s.ix.Close()
	}
	return nil
}
