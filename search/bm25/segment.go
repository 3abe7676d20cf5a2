package bm25

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"

	"research/internal/diskfile"
)

// A segment is the postings of a run of passages, spilled to disk when the
// in-memory postings reach the memory budget: terms in sorted order, each as
// uvarint term length, term, uvarint df, uvarint byte length, postings bytes
// (as in memPostings, doc deltas starting from 0). Segments cover increasing
// doc ranges, so concatenating a term's postings in segment order keeps doc
// ids increasing.

// spill writes the in-memory postings to a new segment and clears them.
func (b *builder) spill() error {
	if len(b.postings) == 0 {
		return nil
	}
	terms := make([]string, 0, len(b.postings))
	for t := range b.postings {
		terms = append(terms, t)
	}
	slices.Sort(terms)
	path := filepath.Join(b.dir, fmt.Sprintf("segment-%04d", len(b.segments)))
	fw, err := diskfile.Create(path)
	if err != nil {
		return fmt.Errorf("create segment: %w", err)
	}
	var hdr []byte
	for _, t := range terms {
		mp := b.postings[t]
		hdr = binary.AppendUvarint(hdr[:0], uint64(len(t)))
		hdr = append(hdr, t...)
		hdr = binary.AppendUvarint(hdr, uint64(mp.df))
		hdr = binary.AppendUvarint(hdr, uint64(len(mp.buf)))
		fw.Write(hdr)
		if _, err := fw.Write(mp.buf); err != nil {
			fw.Abort()
			return fmt.Errorf("write segment: %w", err)
		}
	}
	if _, err := fw.Close(); err != nil {
		return err
	}
	b.segments = append(b.segments, path)
	b.postings = map[string]*memPostings{}
	b.memUsed = 0
	return nil
}

// segmentReader reads a segment one term at a time.
type segmentReader struct {
	f    *os.File
	r    *bufio.Reader
	term string
	df   uint32
	buf  []byte
	done bool
}

func openSegment(path string) (*segmentReader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open segment: %w", err)
	}
	s := &segmentReader{f: f, r: bufio.NewReaderSize(f, 1<<20)}
	return s, s.next()
}

// next loads the following term, or sets done at the end.
func (s *segmentReader) next() error {
	n, err := binary.ReadUvarint(s.r)
	if err == io.EOF {
		s.done = true
		return nil
	}
	if err != nil {
		return fmt.Errorf("read segment %s: %w", s.f.Name(), err)
	}
	term := make([]byte, n)
	if _, err := io.ReadFull(s.r, term); err != nil {
		return fmt.Errorf("read segment %s: %w", s.f.Name(), err)
	}
	df, err := binary.ReadUvarint(s.r)
	if err != nil {
		return fmt.Errorf("read segment %s: %w", s.f.Name(), err)
	}
	size, err := binary.ReadUvarint(s.r)
	if err != nil {
		return fmt.Errorf("read segment %s: %w", s.f.Name(), err)
	}
	s.term, s.df = string(term), uint32(df)
	s.buf = slices.Grow(s.buf[:0], int(size))[:size]
	if _, err := io.ReadFull(s.r, s.buf); err != nil {
		return fmt.Errorf("read segment %s: %w", s.f.Name(), err)
	}
	return nil
}

// merge combines the segments into terms.bin, postings.bin and skips.bin,
// computing block and term maxima with the final corpus statistics. It
// returns the number of terms.
func (b *builder) merge(avgdl float64) (uint64, error) {
	segs := make([]*segmentReader, 0, len(b.segments))
	defer func() {
		for _, s := range segs {
			s.f.Close()
			os.Remove(s.f.Name())
		}
	}()
	for _, path := range b.segments {
		s, err := openSegment(path)
		if err != nil {
			return 0, err
		}
		segs = append(segs, s)
	}
	m, err := b.newMerger(avgdl)
	if err != nil {
		return 0, err
	}
	for {
		term, found := "", false
		for _, s := range segs {
			if !s.done && (!found || s.term < term) {
				term, found = s.term, true
			}
		}
		if !found {
			break
		}
		var df uint32
		for _, s := range segs {
			if !s.done && s.term == term {
				df += s.df
			}
		}
		m.startTerm(term, df)
		for _, s := range segs {
			if s.done || s.term != term {
				continue
			}
			if err := m.addPostings(s.buf); err != nil {
				m.abort()
				return 0, fmt.Errorf("segment %s, term %q: %w", s.f.Name(), term, err)
			}
			if err := s.next(); err != nil {
				m.abort()
				return 0, err
			}
		}
		if err := m.endTerm(); err != nil {
			m.abort()
			return 0, err
		}
	}
	return m.finish()
}

// merger writes the final postings of one term after another.
type merger struct {
	b                  *builder
	avgdl              float64
	terms, post, skips *diskfile.Writer
	strs               *os.File
	strsW              *bufio.Writer
	strOff             uint64
	nterms             uint64
	postStart, skipOff int64
	term               string
	df                 uint32
	idf                float64
	block              []byte
	inBlock            int
	prevDoc, lastDoc   uint32
	blockMax, termMax  float64
	docsSeen           uint32
	entry              []byte
}

func (b *builder) newMerger(avgdl float64) (*merger, error) {
	m := &merger{b: b, avgdl: avgdl}
	var err error
	if m.terms, err = b.create("terms.bin"); err != nil {
		return nil, err
	}
	if m.post, err = b.create("postings.bin"); err != nil {
		return nil, err
	}
	if m.skips, err = b.create("skips.bin"); err != nil {
		return nil, err
	}
	if m.strs, err = os.Create(filepath.Join(b.dir, "termstrings.tmp")); err != nil {
		return nil, fmt.Errorf("create term strings: %w", err)
	}
	m.strsW = bufio.NewWriterSize(m.strs, 1<<20)
	return m, nil
}

func (m *merger) startTerm(term string, df uint32) {
	m.term, m.df = term, df
	m.idf = idf(uint32(len(m.b.docLens)), df)
	m.postStart, m.skipOff = m.post.Size(), m.skips.Size()
	m.block, m.inBlock = m.block[:0], 0
	m.prevDoc, m.lastDoc = 0, 0
	m.blockMax, m.termMax = 0, 0
	m.docsSeen = 0
}

// addPostings re-encodes one segment's postings of the current term.
func (m *merger) addPostings(buf []byte) error {
	var doc uint32
	for len(buf) > 0 {
		delta, n := binary.Uvarint(buf)
		if n <= 0 {
			return fmt.Errorf("corrupt segment postings")
		}
		buf = buf[n:]
		tf, n := binary.Uvarint(buf)
		if n <= 0 {
			return fmt.Errorf("corrupt segment postings")
		}
		buf = buf[n:]
		doc += uint32(delta)
		if err := m.add(doc, uint32(tf)); err != nil {
			return err
		}
	}
	return nil
}

// add appends one posting of the current term; doc ids arrive increasing.
func (m *merger) add(doc, tf uint32) error {
	if m.docsSeen > 0 && doc <= m.lastDoc || int(doc) >= len(m.b.docLens) {
		return fmt.Errorf("doc %d out of order", doc)
	}
	m.block = binary.AppendUvarint(m.block, uint64(doc-m.prevDoc))
	m.block = binary.AppendUvarint(m.block, uint64(tf))
	m.prevDoc, m.lastDoc = doc, doc
	m.docsSeen++
	norm := m.b.opt.Params.lengthNorm(m.b.docLens[doc], m.avgdl)
	m.blockMax = math.Max(m.blockMax, termScore(m.idf, tf, norm))
	m.inBlock++
	if m.inBlock == BlockSize {
		return m.flushBlock()
	}
	return nil
}

// flushBlock writes the current block and its skip entry.
func (m *merger) flushBlock() error {
	if m.inBlock == 0 {
		return nil
	}
	if _, err := m.post.Write(m.block); err != nil {
		return fmt.Errorf("write postings: %w", err)
	}
	end := m.post.Size() - m.postStart
	if end > math.MaxUint32 {
		return fmt.Errorf("term %q: postings over 4 GiB", m.term)
	}
	var e [skipEntrySize]byte
	binary.LittleEndian.PutUint32(e[0:], m.lastDoc)
	binary.LittleEndian.PutUint32(e[4:], uint32(end))
	binary.LittleEndian.PutUint32(e[8:], math.Float32bits(roundUp32(m.blockMax)))
	if _, err := m.skips.Write(e[:]); err != nil {
		return fmt.Errorf("write skips: %w", err)
	}
	m.termMax = math.Max(m.termMax, m.blockMax)
	m.block, m.inBlock, m.blockMax = m.block[:0], 0, 0
	return nil
}

// endTerm flushes the last block and writes the term's table entry.
func (m *merger) endTerm() error {
	if m.docsSeen != m.df {
		return fmt.Errorf("term %q: %d postings, segments said %d", m.term, m.docsSeen, m.df)
	}
	if err := m.flushBlock(); err != nil {
		return err
	}
	e := m.entry[:0]
	e = binary.LittleEndian.AppendUint64(e, m.strOff)
	e = binary.LittleEndian.AppendUint32(e, uint32(len(m.term)))
	e = binary.LittleEndian.AppendUint32(e, m.df)
	e = binary.LittleEndian.AppendUint64(e, uint64(m.postStart-headerSize))
	e = binary.LittleEndian.AppendUint64(e, uint64(m.skipOff-headerSize))
	e = binary.LittleEndian.AppendUint32(e, math.Float32bits(roundUp32(m.termMax)))
	m.entry = e
	if _, err := m.terms.Write(e); err != nil {
		return fmt.Errorf("write terms: %w", err)
	}
	if _, err := m.strsW.WriteString(m.term); err != nil {
		return fmt.Errorf("write term strings: %w", err)
	}
	m.strOff += uint64(len(m.term))
	m.nterms++
	return nil
}

// finish appends the term strings to terms.bin and closes the files.
func (m *merger) finish() (uint64, error) {
	defer os.Remove(m.strs.Name())
	defer m.strs.Close()
	if err := m.strsW.Flush(); err != nil {
		m.abort()
		return 0, fmt.Errorf("write term strings: %w", err)
	}
	if _, err := m.strs.Seek(0, io.SeekStart); err != nil {
		m.abort()
		return 0, err
	}
	if _, err := io.Copy(m.terms, m.strs); err != nil {
		m.abort()
		return 0, fmt.Errorf("write terms: %w", err)
	}
	for _, f := range []struct {
		name string
		fw   *diskfile.Writer
	}{{"terms.bin", m.terms}, {"postings.bin", m.post}, {"skips.bin", m.skips}} {
		if err := m.b.closeFile(f.name, f.fw); err != nil {
			return 0, err
		}
	}
	return m.nterms, nil
}

func (m *merger) abort() {
	m.terms.Abort()
	m.post.Abort()
	m.skips.Abort()
	m.strs.Close()
}
