package safetensors

import (
	"encoding/binary"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestSafetensorsRoundTrip(t *testing.T) {
	data := []float32{0, 1, -2.5, 3.140625, 65504, -1e-3, 6e-8, float32(math.Inf(1))}
	for _, tc := range []struct {
		dtype string
		tol   float64 // relative
	}{{"F32", 0}, {"BF16", 1.0 / 128}, {"F16", 1.0 / 1024}} {
		t.Run(tc.dtype, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "x.safetensors")
			ts := []Tensor{{"a", []int{2, 4}, data}, {"b", []int{1}, []float32{7}}}
			if err := Write(path, ts, tc.dtype, map[string]string{"note": "hi"}); err != nil {
				t.Fatal(err)
			}
			s, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if s.Metadata["note"] != "hi" || s.Metadata[FormatVersionKey] != FormatVersion {
				t.Errorf("metadata %v", s.Metadata)
			}
			got, shape, err := s.Float32("a")
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(shape, []int{2, 4}) {
				t.Errorf("shape %v", shape)
			}
			for i, w := range data {
				g := got[i]
				if math.IsInf(float64(w), 0) {
					if g != w {
						t.Errorf("%d: %v, want %v", i, g, w)
					}
					continue
				}
				if math.Abs(float64(g-w)) > tc.tol*math.Abs(float64(w))+1e-7 {
					t.Errorf("%d: %v, want %v", i, g, w)
				}
			}
		})
	}
}

// TestBF16Read checks File.BF16 on files of every dtype: a BF16 file gives
// its stored bits, aliasing the mapping; F32 and F16 files give their
// values rounded to the nearest bfloat16, ties to even.
func TestBF16Read(t *testing.T) {
	// 1+2⁻⁸ is a tie between 1 and 1+2⁻⁷: even rounds it down; 1+3·2⁻⁸ is
	// a tie that rounds up.
	data := []float32{0, 1, -2.5, 1 + 1.0/256, 1 + 3.0/256, 3.140625, -1e-3, 6e-8, float32(math.Inf(-1))}
	for _, dtype := range []string{"BF16", "F32", "F16"} {
		t.Run(dtype, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "x.safetensors")
			if err := Write(path, []Tensor{{"a", []int{3, 3}, data}}, dtype, nil); err != nil {
				t.Fatal(err)
			}
			s, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			got, shape, err := s.BF16("a")
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(shape, []int{3, 3}) {
				t.Errorf("shape %v", shape)
			}
			// What the file holds, as float32, rounded once more to BF16.
			stored, _, err := s.Float32("a")
			if err != nil {
				t.Fatal(err)
			}
			for i, f := range stored {
				if want := F32ToBF16(f); got[i] != want {
					t.Errorf("element %d (%v stored): %#04x, want %#04x", i, f, got[i], want)
				}
			}
			if dtype == "F32" && (got[3] != 0x3f80 || got[4] != 0x3f82) {
				t.Errorf("ties: %#04x %#04x, want 0x3f80 0x3f82 (to even)", got[3], got[4])
			}
			if _, _, err := s.BF16("missing"); err == nil {
				t.Error("no error for a missing tensor")
			}
		})
	}
}

func TestF16Conversion(t *testing.T) {
	// Every half value survives f16 → f32 → f16 (NaNs stay NaN).
	for h := range 1 << 16 {
		f := F16ToF32(uint16(h))
		back := F32ToF16(f)
		if math.IsNaN(float64(f)) {
			if back&0x7c00 != 0x7c00 || back&0x3ff == 0 {
				t.Fatalf("NaN %#04x came back as %#04x", h, back)
			}
			continue
		}
		if back != uint16(h) {
			t.Fatalf("%#04x → %v → %#04x", h, f, back)
		}
	}
	for _, tc := range []struct {
		f float32
		h uint16
	}{{1, 0x3c00}, {-2, 0xc000}, {65504, 0x7bff}, {1e6, 0x7c00}, {5.9604645e-8, 0x0001}, {1 + 1.0/2048, 0x3c00}} {
		if got := F32ToF16(tc.f); got != tc.h {
			t.Errorf("F32ToF16(%v) = %#04x, want %#04x", tc.f, got, tc.h)
		}
	}
}

// header builds a safetensors file from a JSON header and n data bytes.
func header(js string, n int) []byte {
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(js)))
	b = append(b, js...)
	return append(b, make([]byte, n)...)
}

func TestSafetensorsErrors(t *testing.T) {
	cases := []struct {
		name, want string
		raw        []byte
	}{
		{"short", "shorter than", []byte{1, 2}},
		{"huge header", "exceeds", binary.LittleEndian.AppendUint64(nil, 1<<40)},
		{"bad json", "header", header("{", 0)},
		{"bad dtype", "unknown dtype", header(`{"a":{"dtype":"X","shape":[1],"data_offsets":[0,4]}}`, 4)},
		{"size mismatch", "needs 8", header(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}`, 4)},
		{"out of range", "outside", header(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, 4)},
		{"negative shape", "bad shape", header(`{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,0]}}`, 0)},
		{"future version", "not supported", header(`{"__metadata__":{"research_format_version":"99"}}`, 0)},
	}
	for _, tc := range cases {
		_, err := parse(tc.raw)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
}
