package tinker

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
)

// DType is a tensor's element type on the public wire: the SDK's
// TensorDtype, "int64" or "float32".
type DType string

// The two public dtypes.
const (
	Int64   DType = "int64"
	Float32 DType = "float32"
)

// TensorData is a dense tensor as the API carries it
// ({"data": [...], "dtype": ..., "shape": [...]}): Ints holds the values
// of an int64 tensor, Floats those of a float32 one, row-major. Shape nil
// means one dimension of the data's length.
type TensorData struct {
	DType  DType
	Ints   []int64
	Floats []float32
	Shape  []int64
}

// Len is the number of elements.
func (t TensorData) Len() int {
	if t.DType == Int64 {
		return len(t.Ints)
	}
	return len(t.Floats)
}

// FloatTensor returns a float32 tensor of shape (len(v),).
func FloatTensor(v []float32) TensorData {
	return TensorData{DType: Float32, Floats: v, Shape: []int64{int64(len(v))}}
}

// IntTensor returns an int64 tensor of shape (len(v),).
func IntTensor(v []int64) TensorData {
	return TensorData{DType: Int64, Ints: v, Shape: []int64{int64(len(v))}}
}

// Vector checks that t is one-dimensional (shape absent or (n,)) and
// returns n.
func (t TensorData) Vector() (int, error) {
	n := t.Len()
	switch {
	case t.Shape == nil:
		return n, nil
	case len(t.Shape) != 1:
		return 0, fieldErrorf("shape", "%v: want one dimension (N,); this server takes no top-K (N, K) inputs", t.Shape)
	case t.Shape[0] != int64(n):
		return 0, fieldErrorf("shape", "%v does not match the %d values of data", t.Shape, n)
	}
	return n, nil
}

// AsFloat64 returns the values as float64, whatever the dtype.
func (t TensorData) AsFloat64() []float64 {
	out := make([]float64, t.Len())
	for i := range out {
		if t.DType == Int64 {
			out[i] = float64(t.Ints[i])
		} else {
			out[i] = float64(t.Floats[i])
		}
	}
	return out
}

// check verifies the shape against the data: every dimension ≥ 0 and
// their product the number of values.
func (t TensorData) check() error {
	if t.DType != Int64 && t.DType != Float32 {
		return fieldErrorf("dtype", "%q: want %q or %q", t.DType, Int64, Float32)
	}
	if t.Shape == nil {
		return nil
	}
	n := int64(1)
	for i, d := range t.Shape {
		if d < 0 || (n > 0 && d > math.MaxInt32) {
			return fieldErrorf(fmt.Sprintf("shape[%d]", i), "%d: want a size in 0..%d", d, math.MaxInt32)
		}
		n *= d
	}
	if n != int64(t.Len()) {
		return fieldErrorf("shape", "%v holds %d values, data has %d", t.Shape, n, t.Len())
	}
	return nil
}

// UnmarshalJSON decodes {"data", "dtype", "shape"?} strictly. Sparse CSR
// tensors (sparse_crow_indices / sparse_col_indices) are refused: the
// losses this package computes take dense (N,) inputs only.
func (t *TensorData) UnmarshalJSON(raw []byte) error {
	var data []json.Number
	var dt string
	var sparse bool
	*t = TensorData{}
	err := decodeObject(raw,
		field{name: "data", dst: &data, required: true},
		field{name: "dtype", dst: &dt, required: true},
		field{name: "shape", dst: &t.Shape},
		field{name: "sparse_crow_indices", dst: new(json.RawMessage), seen: &sparse},
		field{name: "sparse_col_indices", dst: new(json.RawMessage), seen: &sparse},
	)
	if err != nil {
		return err
	}
	if sparse {
		return fieldErrorf("sparse_crow_indices", "sparse tensors are not supported; send the dense data")
	}
	t.DType = DType(dt)
	switch t.DType {
	case Int64:
		t.Ints = make([]int64, len(data))
		for i, n := range data {
			v, err := parseInt(n)
			if err != nil {
				return fieldErrorf(fmt.Sprintf("data[%d]", i), "%v", err)
			}
			t.Ints[i] = v
		}
	case Float32:
		t.Floats = make([]float32, len(data))
		for i, n := range data {
			v, err := strconv.ParseFloat(string(n), 64)
			if err != nil || math.Abs(v) > math.MaxFloat32 {
				return fieldErrorf(fmt.Sprintf("data[%d]", i), "%s: want a float32", n)
			}
			t.Floats[i] = float32(v)
		}
	default:
		return fieldErrorf("dtype", "%q: want %q or %q", dt, Int64, Float32)
	}
	return t.check()
}

// parseInt reads an integer, accepting a float with no fraction (5.0) as
// pydantic's lax mode does.
func parseInt(n json.Number) (int64, error) {
	if v, err := strconv.ParseInt(string(n), 10, 64); err == nil {
		return v, nil
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		return 0, fmt.Errorf("%s: want an integer", n)
	}
	return int64(f), nil
}

// MarshalJSON writes {"data", "dtype", "shape"}, floats in their shortest
// float32 form. A non-finite float is written as Python's json writes it
// (NaN, Infinity, -Infinity), which the SDK's parser reads.
func (t TensorData) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(`{"data":[`)
	n := t.Len()
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		if t.DType == Int64 {
			b.WriteString(strconv.FormatInt(t.Ints[i], 10))
		} else {
			b.WriteString(pyFloat(float64(t.Floats[i]), 32))
		}
	}
	fmt.Fprintf(&b, `],"dtype":%q,"shape":[`, t.DType)
	shape := t.Shape
	if shape == nil {
		shape = []int64{int64(n)}
	}
	for i, d := range shape {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatInt(d, 10))
	}
	b.WriteString("]}")
	return b.Bytes(), nil
}

// pyFloat formats v as Python's json module would read it back.
func pyFloat(v float64, bits int) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "Infinity"
	case math.IsInf(v, -1):
		return "-Infinity"
	}
	return strconv.FormatFloat(v, 'g', -1, bits)
}
