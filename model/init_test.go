package model

import (
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"
)

func TestNewInitialisesAndSaves(t *testing.T) {
	c := testConfig(true, 4, 2)
	c.MaxPositions = 64
	m, err := New(c, 0.02, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	var sum, sq float64
	for _, v := range m.Layers[0].Wq {
		sum += float64(v)
		sq += float64(v) * float64(v)
	}
	n := float64(len(m.Layers[0].Wq))
	if std := math.Sqrt(sq/n - (sum/n)*(sum/n)); math.Abs(std-0.02) > 0.004 {
		t.Errorf("q_proj std %.4f, want 0.02", std)
	}
	if m.Layers[1].MLPNorm[3] != 1 || m.Layers[1].Bk[2] != 0 || &m.LMHead[0] != &m.Embed[0] {
		t.Error("norms must be 1, biases 0, a tied head the embedding")
	}
	dir := filepath.Join(t.TempDir(), "m")
	if err := m.Save(dir, "F32"); err != nil {
		t.Fatal(err)
	}
	back, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer back.Close()
	if back.Layers[1].Wdown[5] != m.Layers[1].Wdown[5] {
		t.Error("saved and loaded weights differ")
	}
	c.NumHeads = 3
	if _, err := New(c, 0.02, rand.New(rand.NewPCG(1, 2))); err == nil {
		t.Error("an invalid shape was accepted")
	}
}
