package dense

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"

	"research/internal/diskfile"
	"research/internal/safefile"
	"research/search"
	"research/search/dense/hnsw"
)

// BuildOptions configure Build.
type BuildOptions struct {
	DType        DType        // storage type; default F32
	Prefixes     Prefixes     // recorded in meta.json; Passage is prepended here
	EncoderName  string       // recorded in meta.json
	BatchSize    int          // passages per Encode call; default 64
	HNSW         *hnsw.Params // if set, also link an HNSW graph (Progress ignored)
	Overwrite    bool         // replace a dense index at the output directory; anything else there is refused
	Progress     func(n int)  // called with passages encoded
	HNSWProgress func(n int)  // called with nodes linked
}

// Build encodes the FlashRAG JSONL corpus read from r (named name in
// errors) and writes a dense index to out. It streams: memory holds one
// batch of passages (plus, with HNSW, the graph's links). It writes into a
// temporary directory next to out and renames it into place when done.
func Build(ctx context.Context, r io.Reader, name, out string, enc Encoder, opt BuildOptions) (*Meta, error) {
	if opt.DType == "" {
		opt.DType = F32
	}
	if _, err := ParseDType(string(opt.DType)); err != nil {
		return nil, err
	}
	if opt.BatchSize <= 0 {
		opt.BatchSize = 64
	}
	tmp, err := diskfile.NewBuildDir(out, formatName, opt.Overwrite)
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp) // gone once renamed
	b := &builder{dir: tmp, opt: opt, enc: enc, files: map[string]FileInfo{}}
	meta, err := b.run(ctx, r, name)
	if err != nil {
		b.abort()
		return nil, err
	}
	if err := diskfile.ReplaceDir(tmp, out); err != nil {
		return nil, err
	}
	return meta, nil
}

type builder struct {
	dir                           string
	opt                           BuildOptions
	enc                           Encoder
	files                         map[string]FileInfo
	open                          []*diskfile.Writer
	vecs, scales, store, storeIdx *diskfile.Writer
	count, dim                    int
	storeOff                      uint64
}

func (b *builder) create(name string) (*diskfile.Writer, error) {
	fw, err := diskfile.Create(filepath.Join(b.dir, name))
	if err != nil {
		return nil, err
	}
	b.open = append(b.open, fw)
	if _, err := fw.Write(header(name)); err != nil {
		return nil, err
	}
	return fw, nil
}

func (b *builder) abort() {
	for _, fw := range b.open {
		fw.Abort()
	}
}

func (b *builder) run(ctx context.Context, r io.Reader, name string) (*Meta, error) {
	names := []string{"vectors.bin", "store.bin", "storeidx.bin"}
	if b.opt.DType == Int8 {
		names = append(names, "scales.bin")
	}
	for _, n := range names {
		if _, err := b.create(n); err != nil {
			return nil, err
		}
	}
	b.vecs, b.store, b.storeIdx = b.open[0], b.open[1], b.open[2]
	if b.opt.DType == Int8 {
		b.scales = b.open[3]
	}
	b.storeOff = headerSize
	if err := b.readCorpus(ctx, r, name); err != nil {
		return nil, err
	}
	if err := binary.Write(b.storeIdx, binary.LittleEndian, b.storeOff); err != nil {
		return nil, err
	}
	for i, n := range names {
		info, err := b.open[i].Close()
		if err != nil {
			return nil, err
		}
		b.files[n] = info
	}
	b.open = nil
	if b.count == 0 {
		return nil, fmt.Errorf("%s: no passages", name)
	}
	meta := &Meta{Format: formatName, Version: FormatVersion, Count: b.count, Dim: b.dim, DType: b.opt.DType,
		Encoder: b.opt.EncoderName, Prefixes: b.opt.Prefixes, Files: b.files}
	if b.opt.HNSW != nil {
		if err := b.buildGraph(ctx, meta); err != nil {
			return nil, err
		}
	}
	raw, err := json.MarshalIndent(meta, "", "  ")
	if err != nil {
		return nil, err
	}
	err = safefile.Write(filepath.Join(b.dir, "meta.json"), func(w io.Writer) error {
		_, err := w.Write(append(raw, '\n'))
		return err
	})
	if err != nil {
		return nil, err
	}
	return meta, diskfile.SyncDir(b.dir)
}

// readCorpus reads, encodes and writes the corpus batch by batch.
func (b *builder) readCorpus(ctx context.Context, r io.Reader, name string) error {
	lr := search.NewLineReader(r)
	batch := make([]search.Passage, 0, b.opt.BatchSize)
	for {
		line, err := lr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		p, err := search.ParsePassage(line)
		if err != nil {
			return fmt.Errorf("%s:%d: %w", name, lr.Line, err)
		}
		if batch = append(batch, p); len(batch) == cap(batch) {
			if err := b.addBatch(ctx, batch); err != nil {
				return fmt.Errorf("%s: passages ending at line %d: %w", name, lr.Line, err)
			}
			batch = batch[:0]
		}
	}
	if err := b.addBatch(ctx, batch); err != nil {
		return fmt.Errorf("%s: last passages: %w", name, err)
	}
	return nil
}

// addBatch encodes passages and appends their vectors and records.
func (b *builder) addBatch(ctx context.Context, batch []search.Passage) error {
	if len(batch) == 0 {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	texts := make([]string, len(batch))
	for i, p := range batch {
		texts[i] = b.opt.Prefixes.Passage + p.Contents
	}
	vecs, err := b.enc.Encode(ctx, texts)
	if err != nil {
		return fmt.Errorf("encode: %w", err)
	}
	if len(vecs) != len(batch) {
		return fmt.Errorf("encoder returned %d vectors for %d passages", len(vecs), len(batch))
	}
	var buf []byte
	for i, v := range vecs {
		if b.dim == 0 {
			b.dim = len(v)
		}
		if len(v) != b.dim || b.dim == 0 {
			return fmt.Errorf("passage %q: vector of length %d, earlier ones %d", batch[i].ID, len(v), b.dim)
		}
		for _, x := range v {
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
				return fmt.Errorf("passage %q: encoder returned a non-finite value", batch[i].ID)
			}
		}
		var scale float32
		buf, scale = appendVector(buf[:0], v, b.opt.DType)
		if _, err := b.vecs.Write(buf); err != nil {
			return err
		}
		if b.scales != nil {
			if err := binary.Write(b.scales, binary.LittleEndian, scale); err != nil {
				return err
			}
		}
		if err := b.writePassage(batch[i]); err != nil {
			return err
		}
	}
	b.count += len(batch)
	if b.opt.Progress != nil {
		b.opt.Progress(len(batch))
	}
	return nil
}

func (b *builder) writePassage(p search.Passage) error {
	if err := binary.Write(b.storeIdx, binary.LittleEndian, b.storeOff); err != nil {
		return err
	}
	rec := search.AppendStored(nil, p)
	b.storeOff += uint64(len(rec))
	_, err := b.store.Write(rec)
	return err
}

// buildGraph links the vectors just written, read back through a mapping.
func (b *builder) buildGraph(ctx context.Context, meta *Meta) error {
	ix, err := openFiles(b.dir, meta, false)
	if err != nil {
		return err
	}
	defer ix.Close()
	p := *b.opt.HNSW
	p.Progress = b.opt.HNSWProgress
	g, err := hnsw.Build(ctx, ix.vecs, p)
	if err != nil {
		return fmt.Errorf("build HNSW graph: %w", err)
	}
	fw, err := diskfile.Create(filepath.Join(b.dir, "graph.bin"))
	if err != nil {
		return err
	}
	if _, err := g.WriteTo(fw); err != nil {
		fw.Abort()
		return err
	}
	info, err := fw.Close()
	if err != nil {
		return err
	}
	meta.Files["graph.bin"] = info
	meta.HNSW = &HNSWMeta{M: g.M(), EfConstruction: g.EfConstruction()}
	return nil
}
