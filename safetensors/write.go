package safetensors

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"

	"research/internal/safefile"
)

// Tensor is a named float32 tensor to be written.
type Tensor struct {
	Name  string
	Shape []int
	Data  []float32
}

// Write writes tensors to path as dtype (F32, F16 or BF16), in the
// given order, atomically: a temporary file is written, synced and renamed
// over path. The header's __metadata__ carries meta plus "format": "pt" (as
// HF writes) and this package's format version.
func Write(path string, tensors []Tensor, dtype string, meta map[string]string) (err error) {
	size, ok := map[string]int{"F32": 4, "F16": 2, "BF16": 2}[dtype]
	if !ok {
		return fmt.Errorf("write %s: dtype %q: want F32, F16 or BF16", path, dtype)
	}
	header := map[string]any{}
	md := map[string]string{"format": "pt", FormatVersionKey: FormatVersion}
	for k, v := range meta {
		md[k] = v
	}
	header["__metadata__"] = md
	off := 0
	for _, t := range tensors {
		n := 1
		for _, d := range t.Shape {
			n *= d
		}
		if n != len(t.Data) {
			return fmt.Errorf("write %s: tensor %q: shape %v needs %d values, have %d", path, t.Name, t.Shape, n, len(t.Data))
		}
		if _, dup := header[t.Name]; dup {
			return fmt.Errorf("write %s: tensor %q appears twice", path, t.Name)
		}
		header[t.Name] = TensorInfo{DType: dtype, Shape: t.Shape, Offsets: [2]int{off, off + n*size}}
		off += n * size
	}
	hj, err := json.Marshal(header)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	for len(hj)%8 != 0 { // keep the data 8-byte aligned, as HF does
		hj = append(hj, ' ')
	}

	return safefile.Write(path, func(w io.Writer) error {
		var n [8]byte
		binary.LittleEndian.PutUint64(n[:], uint64(len(hj)))
		w.Write(n[:])
		w.Write(hj)
		var b [4]byte
		for _, t := range tensors {
			for _, v := range t.Data {
				switch dtype {
				case "F32":
					binary.LittleEndian.PutUint32(b[:], math.Float32bits(v))
				case "F16":
					binary.LittleEndian.PutUint16(b[:], F32ToF16(v))
				case "BF16":
					binary.LittleEndian.PutUint16(b[:], F32ToBF16(v))
				}
				if _, err := w.Write(b[:size]); err != nil {
					return err
				}
			}
		}
		return nil
	})
}
