package model

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"research/safetensors"
)

func TestCheckpointErrors(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "model.safetensors")
	if err := safetensors.Write(path, []safetensors.Tensor{{Name: "w", Shape: []int{2, 2}, Data: make([]float32, 4)}, {Name: "i", Shape: []int{1}, Data: []float32{1}}}, "F32", nil); err != nil {
		t.Fatal(err)
	}
	c, err := OpenCheckpoint(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Tensor("w", 4); err == nil || !strings.Contains(err.Error(), "shape [2 2], want [4]") {
		t.Errorf("mis-shaped tensor: %v", err)
	}
	if _, err := c.Tensor("nope", 1); err == nil || !strings.Contains(err.Error(), `missing tensor "nope"`) {
		t.Errorf("missing tensor: %v", err)
	}
	if _, err := OpenCheckpoint(t.TempDir()); err == nil {
		t.Error("empty directory opened")
	}
}

func TestShardedCheckpoint(t *testing.T) {
	dir := t.TempDir()
	write := func(file string, ts ...safetensors.Tensor) {
		if err := safetensors.Write(filepath.Join(dir, file), ts, "BF16", nil); err != nil {
			t.Fatal(err)
		}
	}
	write("model-00001-of-00002.safetensors", safetensors.Tensor{Name: "a", Shape: []int{2}, Data: []float32{1, 2}})
	write("model-00002-of-00002.safetensors", safetensors.Tensor{Name: "b", Shape: []int{1}, Data: []float32{3}})
	index := `{"metadata":{},"weight_map":{"a":"model-00001-of-00002.safetensors","b":"model-00002-of-00002.safetensors"}}`
	if err := os.WriteFile(filepath.Join(dir, "model.safetensors.index.json"), []byte(index), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := OpenCheckpoint(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for name, want := range map[string][]float32{"a": {1, 2}, "b": {3}} {
		got, err := c.Tensor(name, len(want))
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("%s: %v %v, want %v", name, got, err, want)
		}
	}
	bad := `{"weight_map":{"a":"../model-00001-of-00002.safetensors"}}`
	os.WriteFile(filepath.Join(dir, "model.safetensors.index.json"), []byte(bad), 0o644)
	if _, err := OpenCheckpoint(dir); err == nil || !strings.Contains(err.Error(), "plain file name") {
		t.Errorf("escaping shard name: %v", err)
	}
}

func TestSaveLoad(t *testing.T) {
	m, ref := loadReference(t, "testdata/tiny")
	dir := t.TempDir()
	if err := m.Save(dir, "F32"); err != nil {
		t.Fatal(err)
	}
	m2, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer m2.Close()
	a, _ := m.Forward([]Input{{Cache: m.NewCache(0), Tokens: ref.Prompt}})
	b, _ := m2.Forward([]Input{{Cache: m2.NewCache(0), Tokens: ref.Prompt}})
	if !slices.Equal(a[0], b[0]) {
		t.Error("saved and reloaded model computes different logits")
	}
}
