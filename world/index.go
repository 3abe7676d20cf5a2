package world

import (
	"bytes"
	"context"
	"fmt"

	"research/search/bm25"
)

// Index indexes every passage of the world (all splits: one corpus, as in
// the paper) with BM25 into dir, replacing what is there, and opens it.
func (g *Generation) Index(dir string) (*bm25.Index, error) {
	var buf bytes.Buffer
	if err := g.WriteCorpus(&buf); err != nil {
		return nil, err
	}
	if _, err := bm25.Build(context.Background(), &buf, "world corpus", dir, bm25.BuildOptions{Overwrite: true}); err != nil {
		return nil, fmt.Errorf("index the world: %w", err)
	}
	return bm25.Open(dir, bm25.OpenOptions{})
}
