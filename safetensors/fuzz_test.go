package safetensors

import (
	"os"
	"testing"
)

func FuzzParseSafetensors(f *testing.F) {
	f.Add(header(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, 4))
	f.Add(header(`{"__metadata__":{"format":"pt"},"b":{"dtype":"BF16","shape":[2,1],"data_offsets":[0,4]}}`, 4))
	if raw, err := os.ReadFile("../model/testdata/tiny/model.safetensors"); err == nil {
		f.Add(raw[:min(len(raw), 4096)])
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		s, err := parse(raw)
		if err != nil {
			return
		}
		s.Path = "fuzz"
		for _, name := range s.Names() {
			s.Float32(name) // must not panic
		}
	})
}
