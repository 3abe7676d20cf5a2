// Package search holds what every retriever shares: the Doc a search
// returns, the Retriever interface the rollout calls, the FlashRAG corpus
// reader, and a Retriever that calls a remote search server over HTTP.
//
// The BM25 engine lives in search/bm25, the HTTP server in search/server.
package search

import (
	"context"
	"strings"
)

// Doc is one retrieved passage.
type Doc struct {
	ID    string
	Title string
	Text  string
	// Contents is the passage as FlashRAG stores it: "\"Title\"\ntext".
	Contents string
	Score    float64
}

// Retriever finds the k best passages for each of a batch of queries.
// Results are in query order, best first; a query may get fewer than k docs
// (or none) when fewer match. Implementations are safe for concurrent use.
type Retriever interface {
	Search(ctx context.Context, queries []string, k int) ([][]Doc, error)
}

// SplitContents splits FlashRAG contents into title and text the way
// FlashRAG does: the title is the first line without its surrounding quotes,
// the text is the rest. Contents without a newline are all text.
func SplitContents(contents string) (title, text string) {
	first, rest, ok := strings.Cut(contents, "\n")
	if !ok {
		return "", contents
	}
	return strings.Trim(first, "\""), rest
}

// JoinContents builds FlashRAG contents from a title and a text.
func JoinContents(title, text string) string {
	return "\"" + title + "\"\n" + text
}
