package dense

import (
	"encoding/binary"
	"fmt"

	"research/internal/diskfile"
)

// FormatVersion is the on-disk format this package writes and reads.
const FormatVersion = 1

const formatName = "research-dense"

const headerSize = 16 // magic[8] + version u32 + padding u32

// File names and their magics.
var fileMagic = map[string]string{
	"vectors.bin":  "RDENSVEC",
	"scales.bin":   "RDENSSCL",
	"store.bin":    "RDENSSTO",
	"storeidx.bin": "RDENSSIX",
}

// DType is how vectors are stored.
type DType string

// The storage types: 4, 2 or 1 (+4 per vector) bytes per dimension.
const (
	F32  DType = "f32"
	F16  DType = "f16"
	Int8 DType = "int8" // symmetric, one float32 scale per vector
)

// ParseDType checks a storage type name.
func ParseDType(s string) (DType, error) {
	switch d := DType(s); d {
	case F32, F16, Int8:
		return d, nil
	}
	return "", fmt.Errorf("storage type %q, want f32, f16 or int8", s)
}

// size is the bytes per element.
func (d DType) size() int {
	switch d {
	case F32:
		return 4
	case F16:
		return 2
	}
	return 1
}

// Meta is the content of meta.json.
type Meta struct {
	Format   string              `json:"format"`
	Version  int                 `json:"version"`
	Count    int                 `json:"count"`
	Dim      int                 `json:"dim"`
	DType    DType               `json:"dtype"`
	Encoder  string              `json:"encoder"` // what made the vectors, for people
	Prefixes Prefixes            `json:"prefixes"`
	HNSW     *HNSWMeta           `json:"hnsw,omitempty"`
	Files    map[string]FileInfo `json:"files"`
}

// HNSWMeta records the graph's build parameters.
type HNSWMeta struct {
	M              int `json:"m"`
	EfConstruction int `json:"ef_construction"`
}

// FileInfo records a file's size and CRC-32C (Castagnoli).
type FileInfo = diskfile.Info

func header(name string) []byte {
	b := append([]byte(nil), fileMagic[name]...)
	b = binary.LittleEndian.AppendUint32(b, FormatVersion)
	return binary.LittleEndian.AppendUint32(b, 0)
}

func checkHeader(data []byte, path, name string) error {
	if len(data) < headerSize || string(data[:8]) != fileMagic[name] {
		return fmt.Errorf("%s: not a %s file of a research dense index", path, name)
	}
	if v := binary.LittleEndian.Uint32(data[8:12]); v != FormatVersion {
		return fmt.Errorf("%s: format version %d, this build reads version %d (rebuild the index)", path, v, FormatVersion)
	}
	return nil
}

// files lists the files an index with this meta has.
func (m *Meta) files() []string {
	names := []string{"vectors.bin", "store.bin", "storeidx.bin"}
	if m.DType == Int8 {
		names = append(names, "scales.bin")
	}
	if m.HNSW != nil {
		names = append(names, "graph.bin")
	}
	return names
}

// ReadMeta reads and checks dir/meta.json.
func ReadMeta(dir string) (*Meta, error) {
	var m Meta
	path, err := diskfile.ReadMeta(dir, "dense index", formatName, FormatVersion, &m)
	if err != nil {
		return nil, err
	}
	if _, err := ParseDType(string(m.DType)); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if m.Count < 0 || m.Dim <= 0 {
		return nil, fmt.Errorf("%s: count %d, dim %d", path, m.Count, m.Dim)
	}
	for _, name := range m.files() {
		if _, ok := m.Files[name]; !ok {
			return nil, fmt.Errorf("%s: no entry for %s", path, name)
		}
	}
	return &m, nil
}
