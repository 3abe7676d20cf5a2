package dense

import (
	"fmt"
	"path/filepath"

	"research/internal/diskfile"
	"research/search"
	"research/search/dense/hnsw"
)

// Index is an open dense index; its files are memory-mapped. It is safe
// for concurrent use.
type Index struct {
	Meta     *Meta
	vecs     *Vectors
	store    []byte // after the header
	storeIdx []byte // after the header
	graph    *hnsw.Graph
	unmaps   []func() error
}

// OpenOptions configure Open.
type OpenOptions struct {
	// SkipVerify skips the CRC-32C pass over every file (a full read).
	SkipVerify bool
}

// Open maps the index in dir and checks its structure (and, unless
// opt.SkipVerify, its checksums).
func Open(dir string, opt OpenOptions) (*Index, error) {
	meta, err := ReadMeta(dir)
	if err != nil {
		return nil, err
	}
	return openFiles(dir, meta, !opt.SkipVerify)
}

func openFiles(dir string, meta *Meta, verify bool) (*Index, error) {
	ix := &Index{Meta: meta}
	files := map[string][]byte{}
	for _, name := range meta.files() {
		path := filepath.Join(dir, name)
		data, unmap, err := diskfile.Map(path)
		if err != nil {
			ix.Close()
			return nil, fmt.Errorf("open dense index: %w", err)
		}
		ix.unmaps = append(ix.unmaps, unmap)
		want := meta.Files[name]
		if int64(len(data)) != want.Size {
			ix.Close()
			return nil, fmt.Errorf("%s: %d bytes, meta.json says %d (truncated or replaced)", path, len(data), want.Size)
		}
		if verify {
			if crc := diskfile.Checksum(data); crc != want.CRC32C {
				ix.Close()
				return nil, fmt.Errorf("%s: checksum mismatch (corrupt file)", path)
			}
		}
		if name != "graph.bin" {
			if err := checkHeader(data, path, name); err != nil {
				ix.Close()
				return nil, err
			}
			data = data[headerSize:]
		}
		files[name] = data
	}
	if err := ix.setSections(dir, files); err != nil {
		ix.Close()
		return nil, err
	}
	return ix, nil
}

// setSections checks the file sizes against the meta and binds them.
func (ix *Index) setSections(dir string, files map[string][]byte) error {
	m := ix.Meta
	n, d := m.Count, m.Dim
	v := &Vectors{n: n, dim: d, dtype: m.DType}
	raw := files["vectors.bin"]
	if len(raw) != n*d*m.DType.size() {
		return fmt.Errorf("%s: vectors.bin holds %d bytes, want %d×%d %s", dir, len(raw), n, d, m.DType)
	}
	switch m.DType {
	case F32:
		v.f32 = bytesF32(raw)
	case Int8:
		v.raw = raw
		if s := files["scales.bin"]; len(s) != 4*n {
			return fmt.Errorf("%s: scales.bin holds %d bytes, want %d", dir, len(s), 4*n)
		}
		v.scales = bytesF32(files["scales.bin"])
	default:
		v.raw = raw
	}
	ix.vecs = v
	ix.store, ix.storeIdx = files["store.bin"], files["storeidx.bin"]
	if len(ix.storeIdx) != 8*(n+1) {
		return fmt.Errorf("%s: storeidx.bin holds %d bytes, want %d", dir, len(ix.storeIdx), 8*(n+1))
	}
	if m.HNSW != nil {
		g, err := hnsw.Load(files["graph.bin"], n)
		if err != nil {
			return fmt.Errorf("%s: %w", filepath.Join(dir, "graph.bin"), err)
		}
		ix.graph = g
	}
	return nil
}

// Close unmaps the files.
func (ix *Index) Close() error {
	var first error
	for _, u := range ix.unmaps {
		if err := u(); err != nil && first == nil {
			first = err
		}
	}
	ix.unmaps = nil
	return first
}

// Len is the number of passages.
func (ix *Index) Len() int { return ix.Meta.Count }

// Vectors gives read access to the stored vectors.
func (ix *Index) Vectors() *Vectors { return ix.vecs }

// HasGraph reports whether the index has an HNSW graph.
func (ix *Index) HasGraph() bool { return ix.graph != nil }

// Passage returns stored passage i (0 <= i < Len).
func (ix *Index) Passage(i int) (search.Doc, error) {
	if i < 0 || i >= ix.Meta.Count {
		return search.Doc{}, fmt.Errorf("passage %d out of range (%d passages)", i, ix.Meta.Count)
	}
	return search.StoredDoc(ix.store, ix.storeIdx, i, headerSize)
}
