// Package safetensors reads and writes the Hugging Face safetensors format
// (F32, F16 and BF16 tensors; files are memory-mapped copy-on-write) and holds
// the half-precision conversions it needs, which the model's GGUF reader and
// the dense index's F16 vectors share.
package safetensors

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"unsafe"

	"research/internal/diskfile"
)

// TensorInfo describes one tensor of a safetensors file.
type TensorInfo struct {
	DType   string `json:"dtype"`
	Shape   []int  `json:"shape"`
	Offsets [2]int `json:"data_offsets"`
}

// dtypeSizes lists the element sizes of the safetensors dtypes. Only F32, F16
// and BF16 can be read as float32; the others are accepted in a header so that
// files holding them still open.
var dtypeSizes = map[string]int{
	"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U8": 1, "BOOL": 1,
	"U16": 2, "U32": 4, "U64": 8, "F8_E4M3": 1, "F8_E5M2": 1,
}

// FormatVersionKey is the __metadata__ key under which files written by this
// package record their format version; a file carrying a version this
// package does not know is refused rather than misread.
const FormatVersionKey = "research_format_version"

// FormatVersion is the version Write writes.
const FormatVersion = "1"

// maxHeader bounds the JSON header so a corrupt length cannot exhaust memory.
const maxHeader = 100 << 20

// File is one open .safetensors file.
type File struct {
	Path     string
	Tensors  map[string]TensorInfo
	Metadata map[string]string
	data     []byte // the tensor bytes, after the header
	unmap    func() error
}

// Open memory-maps path and parses and checks its header.
func Open(path string) (*File, error) {
	raw, unmap, err := diskfile.MapPrivate(path)
	if err != nil {
		return nil, fmt.Errorf("open safetensors: %w", err)
	}
	s, err := parse(raw)
	if err != nil {
		unmap()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	s.Path, s.unmap = path, unmap
	return s, nil
}

// parse reads the header of a whole file held in raw.
func parse(raw []byte) (*File, error) {
	if len(raw) < 8 {
		return nil, fmt.Errorf("not a safetensors file: %d bytes, shorter than the 8-byte header length", len(raw))
	}
	n := binary.LittleEndian.Uint64(raw)
	if n > maxHeader || n > uint64(len(raw)-8) {
		return nil, fmt.Errorf("header length %d exceeds the file (%d bytes) or the %d-byte limit", n, len(raw), maxHeader)
	}
	var header map[string]json.RawMessage
	if err := json.Unmarshal(raw[8:8+n], &header); err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	s := &File{Tensors: map[string]TensorInfo{}, data: raw[8+n:]}
	for name, msg := range header {
		if name == "__metadata__" {
			if err := json.Unmarshal(msg, &s.Metadata); err != nil {
				return nil, fmt.Errorf("header __metadata__: want string values: %w", err)
			}
			continue
		}
		var t TensorInfo
		if err := json.Unmarshal(msg, &t); err != nil {
			return nil, fmt.Errorf("header entry %q: %w", name, err)
		}
		if err := t.check(len(s.data)); err != nil {
			return nil, fmt.Errorf("tensor %q: %w", name, err)
		}
		s.Tensors[name] = t
	}
	if v, ok := s.Metadata[FormatVersionKey]; ok && v != FormatVersion {
		return nil, fmt.Errorf("format version %q is not supported (this build reads %q)", v, FormatVersion)
	}
	return s, nil
}

func (t *TensorInfo) check(dataLen int) error {
	size, ok := dtypeSizes[t.DType]
	if !ok {
		return fmt.Errorf("unknown dtype %q", t.DType)
	}
	n := 1
	for _, d := range t.Shape {
		if d < 0 || (d > 0 && n > math.MaxInt32/d) {
			return fmt.Errorf("bad shape %v", t.Shape)
		}
		n *= d
	}
	lo, hi := t.Offsets[0], t.Offsets[1]
	if lo < 0 || hi < lo || hi > dataLen {
		return fmt.Errorf("data_offsets %v outside the %d data bytes", t.Offsets, dataLen)
	}
	if hi-lo != n*size {
		return fmt.Errorf("data_offsets %v hold %d bytes, but %s%v needs %d", t.Offsets, hi-lo, t.DType, t.Shape, n*size)
	}
	return nil
}

// Names returns the tensor names, sorted.
func (s *File) Names() []string {
	names := make([]string, 0, len(s.Tensors))
	for n := range s.Tensors {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// lookup returns the named tensor's entry, its bytes and its element count.
func (s *File) lookup(name string) (TensorInfo, []byte, int, error) {
	t, ok := s.Tensors[name]
	if !ok {
		return TensorInfo{}, nil, 0, fmt.Errorf("%s: no tensor %q", s.Path, name)
	}
	b := s.data[t.Offsets[0]:t.Offsets[1]]
	return t, b, len(b) / dtypeSizes[t.DType], nil
}

// Float32 returns the named tensor as float32 values and its shape. An
// aligned F32 tensor aliases the (copy-on-write) mapping; F16 and BF16 are
// converted into a new slice.
func (s *File) Float32(name string) ([]float32, []int, error) {
	t, b, n, err := s.lookup(name)
	if err != nil {
		return nil, nil, err
	}
	switch t.DType {
	case "F32":
		if n > 0 && uintptr(unsafe.Pointer(&b[0]))%4 == 0 {
			return unsafe.Slice((*float32)(unsafe.Pointer(&b[0])), n), t.Shape, nil
		}
		out := make([]float32, n)
		for i := range out {
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
		}
		return out, t.Shape, nil
	case "BF16":
		out := make([]float32, n)
		for i := range out {
			out[i] = math.Float32frombits(uint32(binary.LittleEndian.Uint16(b[2*i:])) << 16)
		}
		return out, t.Shape, nil
	case "F16":
		out := make([]float32, n)
		for i := range out {
			out[i] = F16ToF32(binary.LittleEndian.Uint16(b[2*i:]))
		}
		return out, t.Shape, nil
	}
	return nil, nil, fmt.Errorf("%s: tensor %q has dtype %s; only F32, F16 and BF16 can be loaded", s.Path, name, t.DType)
}

// BF16 returns the named tensor as bfloat16 bits and its shape, for models
// that keep their weights in bfloat16. An aligned BF16 tensor aliases the
// (copy-on-write) mapping, so a BF16 checkpoint is never widened on the
// way; F32 and F16 are rounded to the nearest bfloat16 (ties to even) into a
// new slice.
func (s *File) BF16(name string) ([]uint16, []int, error) {
	t, b, n, err := s.lookup(name)
	if err != nil {
		return nil, nil, err
	}
	switch t.DType {
	case "BF16":
		if n > 0 && uintptr(unsafe.Pointer(&b[0]))%2 == 0 {
			return unsafe.Slice((*uint16)(unsafe.Pointer(&b[0])), n), t.Shape, nil
		}
		out := make([]uint16, n)
		for i := range out {
			out[i] = binary.LittleEndian.Uint16(b[2*i:])
		}
		return out, t.Shape, nil
	case "F32":
		out := make([]uint16, n)
		for i := range out {
			out[i] = F32ToBF16(math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:])))
		}
		return out, t.Shape, nil
	case "F16":
		// F16 widens to float32 exactly, so this rounds once.
		out := make([]uint16, n)
		for i := range out {
			out[i] = F32ToBF16(F16ToF32(binary.LittleEndian.Uint16(b[2*i:])))
		}
		return out, t.Shape, nil
	}
	return nil, nil, fmt.Errorf("%s: tensor %q has dtype %s; only F32, F16 and BF16 can be loaded as BF16", s.Path, name, t.DType)
}

// Close unmaps the file. Slices returned by Float32 or BF16 that alias the
// mapping must not be used afterwards.
func (s *File) Close() error {
	if s.unmap == nil {
		return nil
	}
	err := s.unmap()
	s.unmap = nil
	return err
}
