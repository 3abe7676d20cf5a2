// Package dense is dense-vector retrieval, the paper's E5 setting: an
// on-disk index of passage embeddings built by streaming a FlashRAG corpus
// through an Encoder, exact inner-product search by batched matrix products
// with top-k selection, an optional HNSW graph for approximate search, and
// a search.Retriever over both.
//
// An index is a directory:
//
//	meta.json     format name and version, count, dimension, storage type,
//	              encoder and prefixes, HNSW parameters, and the size and
//	              CRC-32C of every other file
//	vectors.bin   the vectors, row after row: f32, f16, or int8
//	scales.bin    int8 only: the float32 scale of every vector
//	store.bin     per passage: uvarint len, id, uvarint len, contents
//	storeidx.bin  uint64 offset of every passage in store.bin, then the end
//	graph.bin     the HNSW graph, if one was built (package hnsw's format)
//
// Every .bin file starts with an 8-byte magic, a uint32 version and 4 bytes
// of padding, so that the data after the 16-byte header is aligned for any
// element type. Numbers are little-endian. meta.json is written last.
//
// Subpackages: bert (the in-process encoder), wordpiece (its tokenizer),
// remote (an OpenAI-compatible /v1/embeddings encoder), hnsw (the graph),
// hybrid (reciprocal-rank fusion of retrievers).
package dense

import (
	"context"
	"math"
)

// Encoder turns texts into vectors, one per text, all of one length.
// Implementations are safe for concurrent use.
type Encoder interface {
	Encode(ctx context.Context, texts []string) ([][]float32, error)
}

// Prefixes are prepended to texts before encoding; E5 is trained with
// "query: " and "passage: ".
type Prefixes struct {
	Query   string `json:"query"`
	Passage string `json:"passage"`
}

// E5Prefixes are the prefixes of the E5 family.
var E5Prefixes = Prefixes{Query: "query: ", Passage: "passage: "}

// L2Normalize scales v to unit length in place (a zero vector stays zero,
// as torch.nn.functional.normalize leaves it).
func L2Normalize(v []float32) {
	var ss float64
	for _, x := range v {
		ss += float64(x) * float64(x)
	}
	if ss == 0 {
		return
	}
	inv := 1 / math.Max(math.Sqrt(ss), 1e-12)
	for i := range v {
		v[i] = float32(float64(v[i]) * inv)
	}
}
