// Package bm25 is an on-disk BM25 index over a FlashRAG passage corpus: a
// streaming builder that works in bounded memory, a memory-mapped reader, and
// exact top-k search with MaxScore dynamic pruning.
//
// An index is a directory:
//
//	meta.json     format name and version, corpus statistics, BM25 k1 and b,
//	              and the size and CRC-32C of every other file
//	terms.bin     the sorted term table (fixed-size entries), then the term bytes
//	postings.bin  per term, blocks of 128 postings: uvarint doc delta, uvarint tf
//	skips.bin     per term and block: last doc, end offset, block max score
//	doclen.bin    uint32 length (terms) of every passage
//	store.bin     per passage: uvarint len, id, uvarint len, contents
//	storeidx.bin  uint64 offset of every passage in store.bin, then the end
//
// Every .bin file starts with an 8-byte magic and a uint32 version; numbers
// are little-endian. meta.json is written last, so a directory without it is
// an unfinished build.
package bm25

import (
	"encoding/binary"
	"fmt"
	"math"

	"research/internal/diskfile"
)

// FormatVersion is the on-disk format this package writes and reads.
const FormatVersion = 1

// formatName identifies our index in meta.json.
const formatName = "research-bm25"

// BlockSize is the number of postings per block.
const BlockSize = 128

// Sizes of the fixed-width records.
const (
	headerSize    = 12 // magic[8] + version u32
	termEntrySize = 36 // strOff u64, strLen u32, df u32, postOff u64, skipOff u64, maxScore f32
	skipEntrySize = 12 // lastDoc u32, end u32, blockMax f32
)

// File names and their magics.
var fileMagic = map[string]string{
	"terms.bin":    "RBM25TRM",
	"postings.bin": "RBM25PST",
	"skips.bin":    "RBM25SKP",
	"doclen.bin":   "RBM25DLN",
	"store.bin":    "RBM25STO",
	"storeidx.bin": "RBM25SIX",
}

// Params are the BM25 parameters.
type Params struct {
	K1 float64 `json:"k1"`
	B  float64 `json:"b"`
}

// DefaultParams are Pyserini's defaults, k1 = 0.9 and b = 0.4.
var DefaultParams = Params{K1: 0.9, B: 0.4}

// Validate rejects parameters outside BM25's range.
func (p Params) Validate() error {
	if !(p.K1 >= 0) || math.IsInf(p.K1, 0) {
		return fmt.Errorf("bm25: k1 = %v, want a finite value >= 0", p.K1)
	}
	if !(p.B >= 0 && p.B <= 1) {
		return fmt.Errorf("bm25: b = %v, want 0 <= b <= 1", p.B)
	}
	return nil
}

// Meta is the content of meta.json.
type Meta struct {
	Format    string              `json:"format"`
	Version   int                 `json:"version"`
	Docs      uint32              `json:"docs"`
	Terms     uint64              `json:"terms"`
	TotalLen  uint64              `json:"total_len"`
	AvgDocLen float64             `json:"avg_doc_len"`
	Params    Params              `json:"bm25"`
	Analyzer  string              `json:"analyzer"`
	Files     map[string]FileInfo `json:"files"`
}

// FileInfo records a file's size and CRC-32C (Castagnoli).
type FileInfo = diskfile.Info

// analyzerName names the analysis chain, so that a future change of the
// analyzer is caught as an incompatible index.
const analyzerName = "lucene-english-porter/1"

// idf is Lucene's BM25 idf, always positive.
func idf(n, df uint32) float64 {
	return math.Log(1 + (float64(n)-float64(df)+0.5)/(float64(df)+0.5))
}

// lengthNorm is k1 * (1 - b + b * dl / avgdl), the tf saturation constant
// of a passage of length dl.
func (p Params) lengthNorm(dl uint32, avgdl float64) float64 {
	return p.K1 * (1 - p.B + p.B*float64(dl)/avgdl)
}

// termScore is one term's BM25 contribution without the query-term count:
// idf * tf / (tf + norm), as Lucene computes it (no (k1+1) factor, which does
// not change rankings). Build-time maxima and search use this same function,
// so bounds and scores round identically.
func termScore(idf float64, tf uint32, norm float64) float64 {
	t := float64(tf)
	return idf * (t / (t + norm))
}

// roundUp32 converts x to the smallest float32 not below it, so that stored
// block maxima remain upper bounds.
func roundUp32(x float64) float32 {
	f := float32(x)
	if float64(f) < x {
		f = math.Nextafter32(f, float32(math.Inf(1)))
	}
	return f
}

// writeHeader writes a file's magic and version.
func writeHeader(b []byte, name string) []byte {
	b = append(b, fileMagic[name]...)
	return binary.LittleEndian.AppendUint32(b, FormatVersion)
}

// checkHeader verifies a file's magic and version.
func checkHeader(data []byte, path, name string) error {
	if len(data) < headerSize || string(data[:8]) != fileMagic[name] {
		return fmt.Errorf("%s: not a %s file of a research BM25 index", path, name)
	}
	if v := binary.LittleEndian.Uint32(data[8:12]); v != FormatVersion {
		return fmt.Errorf("%s: format version %d, this build reads version %d (rebuild the index)", path, v, FormatVersion)
	}
	return nil
}

// ReadMeta reads and checks dir/meta.json.
func ReadMeta(dir string) (*Meta, error) {
	var m Meta
	path, err := diskfile.ReadMeta(dir, "BM25 index", formatName, FormatVersion, &m)
	if err != nil {
		return nil, err
	}
	if m.Analyzer != analyzerName {
		return nil, fmt.Errorf("%s: analyzer %q, this build uses %q (rebuild the index)", path, m.Analyzer, analyzerName)
	}
	if err := m.Params.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	for name := range fileMagic {
		if _, ok := m.Files[name]; !ok {
			return nil, fmt.Errorf("%s: no entry for %s", path, name)
		}
	}
	return &m, nil
}
