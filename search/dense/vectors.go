package dense

import (
	"encoding/binary"
	"math"
	"unsafe"

	"research/safetensors"
	"research/tensor"
)

// appendVector encodes v in the storage type; for int8 it also returns the
// vector's scale (max |v| / 127, so that v ≈ scale·q).
func appendVector(dst []byte, v []float32, dt DType) ([]byte, float32) {
	switch dt {
	case F32:
		for _, x := range v {
			dst = binary.LittleEndian.AppendUint32(dst, math.Float32bits(x))
		}
	case F16:
		for _, x := range v {
			dst = binary.LittleEndian.AppendUint16(dst, safetensors.F32ToF16(x))
		}
	case Int8:
		var amax float32
		for _, x := range v {
			amax = max(amax, float32(math.Abs(float64(x))))
		}
		scale := amax / 127
		inv := float32(0)
		if scale > 0 {
			inv = 1 / scale
		}
		for _, x := range v {
			q := math.Round(float64(x * inv))
			dst = append(dst, byte(int8(max(-127, min(127, q)))))
		}
		return dst, scale
	}
	return dst, 0
}

// f16ToF32 decodes halves by table: 256 KiB that stay in L2, several times
// faster than the branchy conversion in the exact-search scan.
var f16ToF32 = func() *[1 << 16]float32 {
	var t [1 << 16]float32
	for h := range t {
		t[h] = safetensors.F16ToF32(uint16(h))
	}
	return &t
}()

// Vectors is a read-only view of stored vectors, the Space an HNSW graph
// searches: f32 rows are used in place, f16 and int8 rows are decoded.
type Vectors struct {
	n, dim int
	dtype  DType
	f32    []float32
	raw    []byte
	scales []float32
}

// Len is the number of vectors.
func (v *Vectors) Len() int { return v.n }

// Dim is the vector length.
func (v *Vectors) Dim() int { return v.dim }

// Vector returns vector i as float32: a view for f32 storage, else decoded
// into dst. An int8 vector is returned with its scale applied.
func (v *Vectors) Vector(i int, dst []float32) []float32 {
	d := v.dim
	switch v.dtype {
	case F32:
		return v.f32[i*d : (i+1)*d]
	case F16:
		row := v.raw[2*i*d : 2*(i+1)*d]
		for j := range dst[:d] {
			dst[j] = f16ToF32[binary.LittleEndian.Uint16(row[2*j:])]
		}
	case Int8:
		row := v.raw[i*d : (i+1)*d]
		s := v.scales[i]
		for j := range dst[:d] {
			dst[j] = float32(int8(row[j])) * s
		}
	}
	return dst[:d]
}

// Dot returns q·v_i.
func (v *Vectors) Dot(q []float32, i int) float32 {
	d := v.dim
	switch v.dtype {
	case F32:
		return tensor.Dot(q, v.f32[i*d:(i+1)*d])
	case F16:
		row := v.raw[2*i*d : 2*(i+1)*d]
		var s float32
		for j, x := range q {
			s += x * f16ToF32[binary.LittleEndian.Uint16(row[2*j:])]
		}
		return s
	}
	row := v.raw[i*d : (i+1)*d]
	var s float32
	for j, x := range q {
		s += x * float32(int8(row[j]))
	}
	return s * v.scales[i]
}

// rows returns vectors lo..hi as a float32 matrix, decoding into buf
// (without int8 scales, which the caller applies to the products).
func (v *Vectors) rows(lo, hi int, buf []float32) []float32 {
	d := v.dim
	if v.dtype == F32 {
		return v.f32[lo*d : hi*d]
	}
	out := buf[:(hi-lo)*d]
	tensor.Parallel(hi-lo, 256, func(a, b int) {
		for i := a; i < b; i++ {
			dst := out[i*d : (i+1)*d]
			if v.dtype == F16 {
				row := v.raw[2*(lo+i)*d:]
				for j := range dst {
					dst[j] = f16ToF32[binary.LittleEndian.Uint16(row[2*j:])]
				}
				continue
			}
			row := v.raw[(lo+i)*d:]
			for j := range dst {
				dst[j] = float32(int8(row[j]))
			}
		}
	})
	return out
}

// bytesF32 views b as float32s, copying when b is misaligned or the
// machine is big-endian.
func bytesF32(b []byte) []float32 {
	n := len(b) / 4
	if n == 0 {
		return nil
	}
	if littleEndian && uintptr(unsafe.Pointer(&b[0]))%4 == 0 {
		return unsafe.Slice((*float32)(unsafe.Pointer(&b[0])), n)
	}
	s := make([]float32, n)
	for i := range s {
		s[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return s
}

var littleEndian = func() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}()
