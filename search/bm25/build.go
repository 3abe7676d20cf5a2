package bm25

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"

	"research/internal/diskfile"
	"research/search"
	"research/search/analysis"
)

// BuildOptions configure Build.
type BuildOptions struct {
	// Params are the scoring parameters; the zero value means
	// DefaultParams. (With k1 = 0, b has no effect: set it to anything
	// non-zero to build a binary-tf index.)
	Params Params
	// MemBytes is the budget for postings held in memory; when reached,
	// they are spilled to a sorted segment on disk. Zero means 1 GiB.
	MemBytes int64
	// Workers parse and analyze passages in parallel; zero means GOMAXPROCS.
	Workers int
	// Overwrite replaces an existing BM25 index at the output directory;
	// anything else there is refused.
	Overwrite bool
	// Progress, if set, is called with the number of passages just indexed.
	Progress func(n int)
	// Log, if set, receives one-line notes about the build's phases.
	Log func(format string, args ...any)
}

// batchSize is the number of corpus lines handed to a worker at a time.
const batchSize = 256

// termTF is one distinct term of a passage and its frequency there.
type termTF struct {
	term string
	tf   uint32
}

// batch is a run of corpus lines and, once analyzed, their passages.
type batch struct {
	lines    [][]byte
	lineNos  []int
	passages []search.Passage
	terms    [][]termTF
	lens     []uint32
	err      error
	done     chan struct{}
}

// Build indexes the FlashRAG JSONL corpus read from r (named name in error
// messages) into the directory out. It writes into a temporary directory
// next to out and renames it into place when everything is on disk, so out
// is either absent, the old index, or the complete new one.
func Build(ctx context.Context, r io.Reader, name, out string, opt BuildOptions) (*Meta, error) {
	if opt.Params == (Params{}) {
		opt.Params = DefaultParams
	}
	if err := opt.Params.Validate(); err != nil {
		return nil, err
	}
	if opt.MemBytes <= 0 {
		opt.MemBytes = 1 << 30
	}
	if opt.Workers <= 0 {
		opt.Workers = runtime.GOMAXPROCS(0)
	}
	if opt.Log == nil {
		opt.Log = func(string, ...any) {}
	}
	tmp, err := diskfile.NewBuildDir(out, formatName, opt.Overwrite)
	if err != nil {
		return nil, err
	}
	b := &builder{dir: tmp, opt: opt, postings: map[string]*memPostings{}}
	meta, err := b.run(ctx, r, name)
	if err != nil {
		os.RemoveAll(tmp)
		return nil, err
	}
	if err := diskfile.ReplaceDir(tmp, out); err != nil {
		os.RemoveAll(tmp)
		return nil, err
	}
	return meta, nil
}

// memPostings is one term's postings since the last spill, encoded as
// uvarint doc deltas (the first from 0) and uvarint term frequencies.
type memPostings struct {
	buf  []byte
	last uint32
	df   uint32
}

// builder holds the state of one Build.
type builder struct {
	dir      string
	opt      BuildOptions
	postings map[string]*memPostings
	memUsed  int64
	segments []string
	docLens  []uint32
	totalLen uint64
	store    *diskfile.Writer
	storeIdx *diskfile.Writer
	files    map[string]FileInfo
}

func (b *builder) run(ctx context.Context, r io.Reader, name string) (*Meta, error) {
	var err error
	b.files = map[string]FileInfo{}
	if b.store, err = b.create("store.bin"); err != nil {
		return nil, err
	}
	if b.storeIdx, err = b.create("storeidx.bin"); err != nil {
		b.store.Abort()
		return nil, err
	}
	if err := b.readCorpus(ctx, r, name); err != nil {
		b.store.Abort()
		b.storeIdx.Abort()
		return nil, err
	}
	if len(b.docLens) == 0 {
		b.store.Abort()
		b.storeIdx.Abort()
		return nil, fmt.Errorf("%s: no passages", name)
	}
	if err := b.finishStore(); err != nil {
		return nil, err
	}
	if err := b.spill(); err != nil {
		return nil, err
	}
	if err := b.writeDocLens(); err != nil {
		return nil, err
	}
	avgdl := float64(b.totalLen) / float64(len(b.docLens))
	if avgdl == 0 {
		avgdl = 1 // every passage is empty; any positive value keeps norms finite
	}
	b.opt.Log("merging %d segment(s)", len(b.segments))
	nterms, err := b.merge(avgdl)
	if err != nil {
		return nil, err
	}
	meta := &Meta{
		Format: formatName, Version: FormatVersion,
		Docs: uint32(len(b.docLens)), Terms: nterms, TotalLen: b.totalLen, AvgDocLen: avgdl,
		Params: b.opt.Params, Analyzer: analyzerName, Files: b.files,
	}
	return meta, b.writeMeta(meta)
}

// create opens a new index file in the build directory and writes its header.
func (b *builder) create(name string) (*diskfile.Writer, error) {
	fw, err := diskfile.Create(filepath.Join(b.dir, name))
	if err != nil {
		return nil, fmt.Errorf("create index file: %w", err)
	}
	if _, err := fw.Write(writeHeader(nil, name)); err != nil {
		fw.Abort()
		return nil, err
	}
	return fw, nil
}

// closeFile closes fw and records its checksum under name.
func (b *builder) closeFile(name string, fw *diskfile.Writer) error {
	info, err := fw.Close()
	if err != nil {
		return err
	}
	b.files[name] = info
	return nil
}

// readCorpus streams the corpus through parallel analysis workers and adds
// the passages in corpus order.
func (b *builder) readCorpus(ctx context.Context, r io.Reader, name string) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	work := make(chan *batch, b.opt.Workers)
	order := make(chan *batch, 2*b.opt.Workers)
	var wg sync.WaitGroup
	for range b.opt.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var a analysis.Analyzer
			for bt := range work {
				analyzeBatch(&a, bt, name)
				close(bt.done)
			}
		}()
	}
	readErr := make(chan error, 1)
	go func() {
		defer close(order)
		defer close(work)
		readErr <- produceBatches(ctx, r, name, work, order)
	}()
	var err error
	for bt := range order {
		<-bt.done
		if err == nil {
			err = bt.err
		}
		if err == nil {
			err = b.addBatch(bt)
		}
		if err != nil {
			cancel()
		}
	}
	wg.Wait()
	if rerr := <-readErr; err == nil && rerr != nil && !errors.Is(rerr, context.Canceled) {
		err = rerr
	}
	if err == nil {
		err = ctx.Err()
	}
	return err
}

// produceBatches reads corpus lines into batches and hands each to a worker
// (work) and to the consumer in order (order).
func produceBatches(ctx context.Context, r io.Reader, name string, work, order chan<- *batch) error {
	lr := search.NewLineReader(r)
	bt := &batch{done: make(chan struct{})}
	send := func() error {
		select {
		case order <- bt:
		case <-ctx.Done():
			return ctx.Err()
		}
		select {
		case work <- bt:
		case <-ctx.Done():
			close(bt.done)
			return ctx.Err()
		}
		bt = &batch{done: make(chan struct{})}
		return nil
	}
	for {
		line, err := lr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		bt.lines = append(bt.lines, slices.Clone(line))
		bt.lineNos = append(bt.lineNos, lr.Line)
		if len(bt.lines) == batchSize {
			if err := send(); err != nil {
				return err
			}
		}
	}
	if len(bt.lines) > 0 {
		return send()
	}
	return nil
}

// analyzeBatch parses and analyzes the lines of bt.
func analyzeBatch(a *analysis.Analyzer, bt *batch, name string) {
	counts := map[string]uint32{}
	for i, line := range bt.lines {
		p, err := search.ParsePassage(line)
		if err != nil {
			bt.err = fmt.Errorf("%s line %d: %w", name, bt.lineNos[i], err)
			return
		}
		clear(counts)
		var n uint32
		a.Each(p.Contents, func(t []byte) {
			counts[string(t)]++
			n++
		})
		terms := make([]termTF, 0, len(counts))
		for t, tf := range counts {
			terms = append(terms, termTF{t, tf})
		}
		bt.passages = append(bt.passages, p)
		bt.terms = append(bt.terms, terms)
		bt.lens = append(bt.lens, n)
	}
	bt.lines = nil
}

// addBatch stores the passages of bt and adds their postings.
func (b *builder) addBatch(bt *batch) error {
	var rec []byte
	for i, p := range bt.passages {
		if len(b.docLens) == maxDocs {
			return fmt.Errorf("more than %d passages: split the corpus", maxDocs)
		}
		doc := uint32(len(b.docLens))
		rec = binary.LittleEndian.AppendUint64(rec[:0], uint64(b.store.Size()))
		if _, err := b.storeIdx.Write(rec); err != nil {
			return fmt.Errorf("write passage store: %w", err)
		}
		rec = search.AppendStored(rec[:0], p)
		if _, err := b.store.Write(rec); err != nil {
			return fmt.Errorf("write passage store: %w", err)
		}
		for _, t := range bt.terms[i] {
			mp := b.postings[t.term]
			if mp == nil {
				mp = &memPostings{}
				b.postings[t.term] = mp
				b.memUsed += int64(len(t.term)) + 96
			}
			before := cap(mp.buf)
			mp.buf = binary.AppendUvarint(mp.buf, uint64(doc-mp.last))
			mp.buf = binary.AppendUvarint(mp.buf, uint64(t.tf))
			mp.last = doc
			mp.df++
			b.memUsed += int64(cap(mp.buf) - before)
		}
		b.docLens = append(b.docLens, bt.lens[i])
		b.totalLen += uint64(bt.lens[i])
		if b.memUsed >= b.opt.MemBytes {
			if err := b.spill(); err != nil {
				return err
			}
		}
	}
	if b.opt.Progress != nil {
		b.opt.Progress(len(bt.passages))
	}
	return nil
}

// maxDocs keeps doc ids below the end-of-list sentinel.
const maxDocs = 1<<32 - 2

// finishStore writes the end offset of the last passage and closes the store.
func (b *builder) finishStore() error {
	end := binary.LittleEndian.AppendUint64(nil, uint64(b.store.Size()))
	if _, err := b.storeIdx.Write(end); err != nil {
		return fmt.Errorf("write passage store: %w", err)
	}
	if err := b.closeFile("store.bin", b.store); err != nil {
		return err
	}
	return b.closeFile("storeidx.bin", b.storeIdx)
}

// writeDocLens writes doclen.bin.
func (b *builder) writeDocLens() error {
	fw, err := b.create("doclen.bin")
	if err != nil {
		return err
	}
	buf := make([]byte, 0, 4096)
	for i, n := range b.docLens {
		buf = binary.LittleEndian.AppendUint32(buf, n)
		if len(buf) == cap(buf) || i == len(b.docLens)-1 {
			if _, err := fw.Write(buf); err != nil {
				fw.Abort()
				return fmt.Errorf("write doclen.bin: %w", err)
			}
			buf = buf[:0]
		}
	}
	return b.closeFile("doclen.bin", fw)
}

// writeMeta writes meta.json, the last file of a build.
func (b *builder) writeMeta(m *Meta) error {
	raw, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	fw, err := diskfile.Create(filepath.Join(b.dir, "meta.json"))
	if err != nil {
		return fmt.Errorf("create meta.json: %w", err)
	}
	if _, err := fw.Write(append(raw, '\n')); err != nil {
		fw.Abort()
		return fmt.Errorf("write meta.json: %w", err)
	}
	if _, err := fw.Close(); err != nil {
		return err
	}
	return diskfile.SyncDir(b.dir)
}
