package bm25

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"sort"
	"sync"

	"research/internal/diskfile"
	"research/search"
	"research/search/analysis"
)

// Index is an open, memory-mapped BM25 index. It is safe for concurrent use.
type Index struct {
	Meta   Meta
	params Params // scoring parameters; may differ from Meta.Params
	// prune is false when params differ from the build's, whose stored
	// maxima are then not bounds.
	prune bool

	terms    []byte // term table entries
	strs     []byte // term bytes
	postings []byte
	skips    []byte
	docLens  []byte
	store    []byte
	storeIdx []byte

	norms     []float64 // lengthNorm of every doc length below len(norms)
	unmap     []func() error
	analyzers sync.Pool
}

// normTableSize covers the passage lengths of typical corpora (wiki18
// passages are 100 words); longer passages compute their norm.
const normTableSize = 4096

// lengthNorm is params.lengthNorm for a passage of length dl, from the table
// when it covers dl; both give the same bits.
func (ix *Index) lengthNorm(dl uint32) float64 {
	if int(dl) < len(ix.norms) {
		return ix.norms[dl]
	}
	return ix.params.lengthNorm(dl, ix.Meta.AvgDocLen)
}

// OpenOptions configure Open.
type OpenOptions struct {
	// Params overrides the BM25 parameters the index was built with. Search
	// stays exact, but without pruning, since the stored score maxima were
	// computed for the build parameters.
	Params *Params
	// SkipVerify skips checking the CRC-32C of every file, which reads the
	// whole index once.
	SkipVerify bool
}

// Open maps the index in dir and checks its version and, unless told not
// to, its checksums.
func Open(dir string, opt OpenOptions) (*Index, error) {
	meta, err := ReadMeta(dir)
	if err != nil {
		return nil, err
	}
	ix := &Index{Meta: *meta, params: meta.Params, prune: true}
	if opt.Params != nil && *opt.Params != meta.Params {
		if err := opt.Params.Validate(); err != nil {
			return nil, err
		}
		ix.params, ix.prune = *opt.Params, false
	}
	ix.analyzers.New = func() any { return new(analysis.Analyzer) }
	ix.norms = make([]float64, normTableSize)
	for dl := range ix.norms {
		ix.norms[dl] = ix.params.lengthNorm(uint32(dl), meta.AvgDocLen)
	}
	files := map[string][]byte{}
	for name := range fileMagic {
		path := filepath.Join(dir, name)
		data, unmap, err := diskfile.Map(path)
		if err != nil {
			ix.Close()
			return nil, fmt.Errorf("open index: %w", err)
		}
		ix.unmap = append(ix.unmap, unmap)
		want := meta.Files[name]
		if int64(len(data)) != want.Size {
			ix.Close()
			return nil, fmt.Errorf("%s: %d bytes, meta.json says %d (truncated or replaced)", path, len(data), want.Size)
		}
		if err := checkHeader(data, path, name); err != nil {
			ix.Close()
			return nil, err
		}
		if !opt.SkipVerify {
			if sum := diskfile.Checksum(data); sum != want.CRC32C {
				ix.Close()
				return nil, fmt.Errorf("%s: checksum %08x, meta.json says %08x (corrupt index)", path, sum, want.CRC32C)
			}
		}
		files[name] = data[headerSize:]
	}
	if err := ix.setSections(files); err != nil {
		ix.Close()
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	return ix, nil
}

// setSections points the index at its file contents after checking sizes.
func (ix *Index) setSections(files map[string][]byte) error {
	m := &ix.Meta
	terms := files["terms.bin"]
	if m.Terms > uint64(len(terms))/termEntrySize {
		return errors.New("terms.bin is shorter than its term count")
	}
	ix.terms = terms[:m.Terms*termEntrySize]
	ix.strs = terms[m.Terms*termEntrySize:]
	ix.postings = files["postings.bin"]
	ix.skips = files["skips.bin"]
	ix.docLens = files["doclen.bin"]
	ix.store = files["store.bin"]
	ix.storeIdx = files["storeidx.bin"]
	if uint64(len(ix.docLens)) != 4*uint64(m.Docs) {
		return errors.New("doclen.bin does not match the passage count")
	}
	if uint64(len(ix.storeIdx)) != 8*(uint64(m.Docs)+1) {
		return errors.New("storeidx.bin does not match the passage count")
	}
	return nil
}

// Close unmaps the index. It must not be used afterwards.
func (ix *Index) Close() error {
	var first error
	for _, u := range ix.unmap {
		if err := u(); err != nil && first == nil {
			first = err
		}
	}
	ix.unmap = nil
	return first
}

// NumDocs is the number of passages.
func (ix *Index) NumDocs() int { return int(ix.Meta.Docs) }

// Params are the BM25 parameters used for scoring.
func (ix *Index) Params() Params { return ix.params }

// termInfo is one decoded term table entry.
type termInfo struct {
	df       uint32
	postings []byte
	skips    []byte
	maxScore float64
}

// termAt returns the bytes of the i-th term.
func (ix *Index) termAt(i int) []byte {
	e := ix.terms[i*termEntrySize:]
	off := binary.LittleEndian.Uint64(e)
	n := uint64(binary.LittleEndian.Uint32(e[8:]))
	if off+n > uint64(len(ix.strs)) {
		return nil
	}
	return ix.strs[off : off+n]
}

// lookup finds term in the sorted term table.
func (ix *Index) lookup(term []byte) (termInfo, bool) {
	n := int(ix.Meta.Terms)
	i := sort.Search(n, func(i int) bool { return bytes.Compare(ix.termAt(i), term) >= 0 })
	if i == n || !bytes.Equal(ix.termAt(i), term) {
		return termInfo{}, false
	}
	e := ix.terms[i*termEntrySize:]
	ti := termInfo{
		df:       binary.LittleEndian.Uint32(e[12:]),
		maxScore: float64(math.Float32frombits(binary.LittleEndian.Uint32(e[32:]))),
	}
	postOff := binary.LittleEndian.Uint64(e[16:])
	skipOff := binary.LittleEndian.Uint64(e[24:])
	nblocks := (uint64(ti.df) + BlockSize - 1) / BlockSize
	if skipOff+nblocks*skipEntrySize > uint64(len(ix.skips)) || postOff > uint64(len(ix.postings)) {
		return termInfo{}, false
	}
	ti.skips = ix.skips[skipOff : skipOff+nblocks*skipEntrySize]
	end := postOff
	if nblocks > 0 {
		end += uint64(binary.LittleEndian.Uint32(ti.skips[(nblocks-1)*skipEntrySize+4:]))
	}
	if end > uint64(len(ix.postings)) {
		return termInfo{}, false
	}
	ti.postings = ix.postings[postOff:end]
	return ti, true
}

// docLen returns the length of passage doc.
func (ix *Index) docLen(doc uint32) uint32 {
	return binary.LittleEndian.Uint32(ix.docLens[4*doc:])
}

// Passage returns the stored passage doc (0 <= doc < NumDocs).
func (ix *Index) Passage(doc uint32) (search.Doc, error) {
	if doc >= ix.Meta.Docs {
		return search.Doc{}, fmt.Errorf("passage %d out of range (%d passages)", doc, ix.Meta.Docs)
	}
	return search.StoredDoc(ix.store, ix.storeIdx, int(doc), headerSize)
}
