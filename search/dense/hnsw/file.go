package hnsw

import (
	"encoding/binary"
	"fmt"
	"io"
	"unsafe"
)

// FormatVersion is the graph file format this package writes and reads.
const FormatVersion = 1

const magic = "RDENSHNW"

// header: magic[8], version, padding, n, m, efConstruction, entry, maxLevel
// (uint32 each); then the n levels (one byte each, padded to 4 bytes), the
// layer-0 links, and the upper-layer links, all uint32 little-endian.
const headerSize = 8 + 7*4

// WriteTo writes the graph in the file format.
func (g *Graph) WriteTo(w io.Writer) (int64, error) {
	h := []byte(magic)
	for _, v := range []int{FormatVersion, 0, g.n, g.m, g.efC, g.entry, g.maxLevel} {
		h = binary.LittleEndian.AppendUint32(h, uint32(v))
	}
	h = append(h, g.levels...)
	for len(h)%4 != 0 {
		h = append(h, 0)
	}
	var total int64
	for _, b := range [][]byte{h, u32bytes(g.level0), u32bytes(g.upper)} {
		n, err := w.Write(b)
		total += int64(n)
		if err != nil {
			return total, fmt.Errorf("write hnsw graph: %w", err)
		}
	}
	return total, nil
}

// Load reads a graph for n vectors from data (typically a memory mapping,
// which it aliases; the links are little-endian uint32, read in place on
// little-endian machines). Every link is checked, so a corrupt file is an
// error rather than a crash during search.
func Load(data []byte, n int) (*Graph, error) {
	if len(data) < headerSize || string(data[:8]) != magic {
		return nil, fmt.Errorf("not a research HNSW graph file")
	}
	u := func(i int) int { return int(binary.LittleEndian.Uint32(data[8+4*i:])) }
	if v := u(0); v != FormatVersion {
		return nil, fmt.Errorf("HNSW graph format version %d, this build reads version %d (rebuild the index)", v, FormatVersion)
	}
	if u(2) != n {
		return nil, fmt.Errorf("HNSW graph has %d nodes, the index %d vectors", u(2), n)
	}
	m, efC, entry, maxLevel := u(3), u(4), u(5), u(6)
	if m < 2 || m > 1<<16 || (n > 0 && entry >= n) || maxLevel > 60 {
		return nil, fmt.Errorf("HNSW graph header is corrupt (M %d, entry %d, top layer %d)", m, entry, maxLevel)
	}
	rest := data[headerSize:]
	if len(rest) < n {
		return nil, fmt.Errorf("HNSW graph truncated in the layer table")
	}
	levels := rest[:n]
	rest = rest[(n+3)&^3:]
	g := &Graph{n: n, m: m, m0: 2 * m, efC: efC, entry: entry, maxLevel: maxLevel, levels: levels, upperOff: make([]int, n+1)}
	for i, l := range levels {
		if int(l) > maxLevel {
			return nil, fmt.Errorf("HNSW graph: node %d on layer %d above the top %d", i, l, maxLevel)
		}
		g.upperOff[i+1] = g.upperOff[i] + int(l)*(1+m)
	}
	if n > 0 && int(levels[entry]) != maxLevel {
		return nil, fmt.Errorf("HNSW graph: entry node %d is not on the top layer", entry)
	}
	n0, nu := n*(1+g.m0), g.upperOff[n]
	if len(rest) != 4*(n0+nu) {
		return nil, fmt.Errorf("HNSW graph has %d link bytes, want %d", len(rest), 4*(n0+nu))
	}
	all := bytesU32(rest)
	g.level0, g.upper = all[:n0], all[n0:]
	for i := range n {
		for l := 0; l <= int(levels[i]); l++ {
			s := g.links(i, l)
			if int(s[0]) > len(s)-1 {
				return nil, fmt.Errorf("HNSW graph: node %d layer %d has %d links, room for %d", i, l, s[0], len(s)-1)
			}
			for _, nb := range s[1 : 1+s[0]] {
				if int(nb) >= n || int(levels[nb]) < l {
					return nil, fmt.Errorf("HNSW graph: node %d layer %d links to %d, not on that layer", i, l, nb)
				}
			}
		}
	}
	return g, nil
}

func u32bytes(s []uint32) []byte {
	if len(s) == 0 {
		return nil
	}
	if !littleEndian {
		b := make([]byte, 4*len(s))
		for i, v := range s {
			binary.LittleEndian.PutUint32(b[4*i:], v)
		}
		return b
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&s[0])), 4*len(s))
}

// bytesU32 views b as uint32s, copying when b is misaligned or the machine
// is big-endian.
func bytesU32(b []byte) []uint32 {
	n := len(b) / 4
	if n == 0 {
		return nil
	}
	if littleEndian && uintptr(unsafe.Pointer(&b[0]))%4 == 0 {
		return unsafe.Slice((*uint32)(unsafe.Pointer(&b[0])), n)
	}
	s := make([]uint32, n)
	for i := range s {
		s[i] = binary.LittleEndian.Uint32(b[4*i:])
	}
	return s
}

var littleEndian = func() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}()
