package model

import (
	"encoding/binary"
	"os"
	"slices"
	"strings"
	"testing"
)

// TestGGUFMatchesSafetensors loads the tiny model from its GGUF (written by
// random_qwen2.py, read by llama.cpp) and from safetensors: same config,
// same logits.
func TestGGUFMatchesSafetensors(t *testing.T) {
	m, ref := loadReference(t, "testdata/tiny")
	g, err := Load("testdata/tiny/tiny-qwen2.gguf")
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	a, b := m.Config, g.Config
	if a.VocabSize != b.VocabSize || a.HiddenSize != b.HiddenSize || a.NumLayers != b.NumLayers || a.NumHeads != b.NumHeads ||
		a.NumKVHeads != b.NumKVHeads || a.IntermediateSize != b.IntermediateSize || a.RopeTheta != b.RopeTheta ||
		a.RMSNormEps != b.RMSNormEps || a.TieWordEmbeddings != b.TieWordEmbeddings {
		t.Fatalf("GGUF config %+v, safetensors config %+v", b, a)
	}
	want, _ := m.Forward([]Input{{Cache: m.NewCache(0), Tokens: ref.Prompt}})
	got, err := g.Forward([]Input{{Cache: g.NewCache(0), Tokens: ref.Prompt}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got[0], want[0]) {
		t.Error("GGUF and safetensors weights give different logits")
	}
}

func TestGGUFErrors(t *testing.T) {
	hdr := func(version uint32, nt, nkv uint64) []byte {
		b := append([]byte("GGUF"), binary.LittleEndian.AppendUint32(nil, version)...)
		b = binary.LittleEndian.AppendUint64(b, nt)
		return binary.LittleEndian.AppendUint64(b, nkv)
	}
	cases := []struct {
		name, want string
		raw        []byte
	}{
		{"empty", "magic", nil},
		{"wrong magic", "magic", []byte("GGML....")},
		{"version 1", "version 1", hdr(1, 0, 0)},
		{"huge counts", "exceeds the file", hdr(3, 1<<60, 0)},
		{"truncated kv", "truncated", append(hdr(3, 0, 1), 1, 0, 0, 0, 0, 0, 0, 0, 'a', 8, 0, 0)},
		{"string too long", "exceeds the file", append(hdr(3, 0, 1), 50, 0, 0, 0, 0, 0, 0, 0, 'a', 'b', 'c', 'd')},
	}
	for _, tc := range cases {
		_, err := parseGGUF(tc.raw)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
}

func FuzzParseGGUF(f *testing.F) {
	if raw, err := os.ReadFile("testdata/tiny/tiny-qwen2.gguf"); err == nil {
		f.Add(raw[:min(len(raw), 8192)])
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		g, err := parseGGUF(raw)
		if err != nil {
			return
		}
		for name := range g.Tensors {
			g.Float32(name) // must not panic
		}
		ggufConfig(g)
	})
}
