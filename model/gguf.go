package model

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"unsafe"

	"research/internal/diskfile"
	"research/safetensors"
)

// GGUF is one open llama.cpp GGUF file (versions 2 and 3): its metadata and
// its tensors, memory-mapped. Only F32 and F16 tensors can be read.
type GGUF struct {
	Path     string
	Metadata map[string]any // uint32, int32, float32, string, bool, uint64, …, or []any
	Tensors  map[string]GGUFTensor
	data     []byte // the tensor data section
	unmap    func() error
}

// GGUFTensor describes one tensor: Dims in GGUF order (fastest-varying first,
// the reverse of a row-major shape), its ggml type and data offset.
type GGUFTensor struct {
	Dims   []int
	Type   uint32
	Offset int
	size   int
}

const (
	ggmlF32 = 0
	ggmlF16 = 1
)

// OpenGGUF memory-maps path and parses its header.
func OpenGGUF(path string) (*GGUF, error) {
	raw, unmap, err := diskfile.MapPrivate(path)
	if err != nil {
		return nil, fmt.Errorf("open gguf: %w", err)
	}
	g, err := parseGGUF(raw)
	if err != nil {
		unmap()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	g.Path, g.unmap = path, unmap
	return g, nil
}

// ggufReader reads little-endian values from the header, failing once past
// the end; err holds the first failure.
type ggufReader struct {
	b   []byte
	off int
	err error
}

func (r *ggufReader) take(n int) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || n > len(r.b)-r.off {
		r.err = fmt.Errorf("truncated at byte %d (wanted %d more bytes)", r.off, n)
		return nil
	}
	out := r.b[r.off : r.off+n]
	r.off += n
	return out
}

func (r *ggufReader) u32() uint32 {
	if b := r.take(4); b != nil {
		return binary.LittleEndian.Uint32(b)
	}
	return 0
}

func (r *ggufReader) u64() uint64 {
	if b := r.take(8); b != nil {
		return binary.LittleEndian.Uint64(b)
	}
	return 0
}

// count reads a u64 element count and checks that that many elements of at
// least min bytes each could fit in the rest of the file.
func (r *ggufReader) count(what string, min int) int {
	n := r.u64()
	if r.err != nil {
		return 0
	}
	if n > uint64(len(r.b)-r.off)/uint64(min) {
		r.err = fmt.Errorf("%s count %d at byte %d exceeds the file", what, n, r.off-8)
		return 0
	}
	return int(n)
}

func (r *ggufReader) str() string { return string(r.take(r.count("string length", 1))) }

// value reads one metadata value of type t.
func (r *ggufReader) value(t uint32, depth int) any {
	switch t {
	case 0:
		if b := r.take(1); b != nil {
			return b[0]
		}
	case 1:
		if b := r.take(1); b != nil {
			return int8(b[0])
		}
	case 2:
		if b := r.take(2); b != nil {
			return binary.LittleEndian.Uint16(b)
		}
	case 3:
		if b := r.take(2); b != nil {
			return int16(binary.LittleEndian.Uint16(b))
		}
	case 4:
		return r.u32()
	case 5:
		return int32(r.u32())
	case 6:
		return math.Float32frombits(r.u32())
	case 7:
		if b := r.take(1); b != nil {
			return b[0] != 0
		}
	case 8:
		return r.str()
	case 9:
		if depth > 0 {
			r.err = errors.New("nested metadata arrays are not supported")
			return nil
		}
		et := r.u32()
		n := r.count("array", 1)
		out := make([]any, 0, min(n, 1<<20))
		for i := 0; i < n && r.err == nil; i++ {
			out = append(out, r.value(et, depth+1))
		}
		return out
	case 10:
		return r.u64()
	case 11:
		return int64(r.u64())
	case 12:
		return math.Float64frombits(r.u64())
	default:
		r.err = fmt.Errorf("unknown metadata type %d at byte %d", t, r.off-4)
	}
	return nil
}

func parseGGUF(raw []byte) (*GGUF, error) {
	r := &ggufReader{b: raw}
	if string(r.take(4)) != "GGUF" {
		return nil, errors.New("not a GGUF file (no GGUF magic)")
	}
	if v := r.u32(); r.err == nil && v != 2 && v != 3 {
		return nil, fmt.Errorf("GGUF version %d is not supported (this build reads 2 and 3)", v)
	}
	nTensors := r.count("tensor", 8)
	nKV := r.count("metadata", 12)
	g := &GGUF{Metadata: map[string]any{}, Tensors: map[string]GGUFTensor{}}
	for i := 0; i < nKV && r.err == nil; i++ {
		key := r.str()
		g.Metadata[key] = r.value(r.u32(), 0)
	}
	var order []string
	for i := 0; i < nTensors && r.err == nil; i++ {
		name := r.str()
		nd := r.u32()
		if nd > 4 {
			return nil, fmt.Errorf("tensor %q has %d dimensions", name, nd)
		}
		t := GGUFTensor{}
		n := 1
		for range nd {
			d := r.u64()
			if d > math.MaxInt32 || (d > 0 && uint64(n) > math.MaxInt32/d) {
				return nil, fmt.Errorf("tensor %q: dimension %d too large", name, d)
			}
			t.Dims = append(t.Dims, int(d))
			n *= int(d)
		}
		t.Type = r.u32()
		off := r.u64()
		if off > math.MaxInt32*8 {
			return nil, fmt.Errorf("tensor %q: offset %d too large", name, off)
		}
		t.Offset = int(off)
		switch t.Type {
		case ggmlF32:
			t.size = 4 * n
		case ggmlF16:
			t.size = 2 * n
		}
		g.Tensors[name] = t
		order = append(order, name)
	}
	if r.err != nil {
		return nil, fmt.Errorf("header: %w", r.err)
	}
	align := 32
	if a, ok := g.Metadata["general.alignment"].(uint32); ok {
		if a == 0 || a&(a-1) != 0 || a > 1<<16 {
			return nil, fmt.Errorf("general.alignment %d is not a power of two", a)
		}
		align = int(a)
	}
	start := (r.off + align - 1) / align * align
	if start > len(raw) {
		return nil, errors.New("no tensor data after the header")
	}
	g.data = raw[start:]
	for _, name := range order {
		t := g.Tensors[name]
		if t.size > 0 && t.Offset+t.size > len(g.data) {
			return nil, fmt.Errorf("tensor %q: data [%d, %d) outside the %d data bytes", name, t.Offset, t.Offset+t.size, len(g.data))
		}
	}
	return g, nil
}

// Float32 returns the named F32 or F16 tensor as float32 values with its
// row-major shape (GGUF dims reversed). Aligned F32 data aliases the mapping.
func (g *GGUF) Float32(name string) ([]float32, []int, error) {
	t, ok := g.Tensors[name]
	if !ok {
		return nil, nil, fmt.Errorf("%s: missing tensor %q", g.Path, name)
	}
	shape := slices.Clone(t.Dims)
	slices.Reverse(shape)
	b := g.data[t.Offset : t.Offset+t.size]
	switch t.Type {
	case ggmlF32:
		n := len(b) / 4
		if n > 0 && uintptr(unsafe.Pointer(&b[0]))%4 == 0 {
			return unsafe.Slice((*float32)(unsafe.Pointer(&b[0])), n), shape, nil
		}
		out := make([]float32, n)
		for i := range out {
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
		}
		return out, shape, nil
	case ggmlF16:
		out := make([]float32, len(b)/2)
		for i := range out {
			out[i] = safetensors.F16ToF32(binary.LittleEndian.Uint16(b[2*i:]))
		}
		return out, shape, nil
	}
	return nil, nil, fmt.Errorf("%s: tensor %q has ggml type %d; only F32 (0) and F16 (1) can be loaded", g.Path, name, t.Type)
}

// Close unmaps the file.
func (g *GGUF) Close() error {
	if g.unmap == nil {
		return nil
	}
	err := g.unmap()
	g.unmap = nil
	return err
}
