package model

import (
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestLoRASaveLoadMerge saves adapters in PEFT's layout, loads them back
// equal, and checks that the base with the adapters merged in scores like
// the base with the adapters applied.
func TestLoRASaveLoadMerge(t *testing.T) {
	c := testConfig(false, 4, 1)
	m := randomModel(c, 3)
	l, err := NewLoRA(m, 4, 16, []string{"q_proj", "o_proj", "up_proj", "down_proj"}, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for _, p := range l.Params() {
		for i := range p.Data {
			p.Data[i] = float32(0.1 * rng.NormFloat64())
		}
	}
	dir := t.TempDir()
	if err := l.Save(dir, "Qwen/Qwen2.5-0.5B"); err != nil {
		t.Fatal(err)
	}
	back, err := LoadLoRA(dir, &c)
	if err != nil {
		t.Fatal(err)
	}
	if back.Rank != l.Rank || back.Alpha != l.Alpha || !slices.Equal(back.Targets, l.Targets) {
		t.Fatalf("loaded rank %d alpha %g targets %v, saved %d %g %v", back.Rank, back.Alpha, back.Targets, l.Rank, l.Alpha, l.Targets)
	}
	for i, p := range back.Params() {
		if want := l.Params()[i]; p.Name != want.Name || !slices.Equal(p.Data, want.Data) {
			t.Fatalf("tensor %s differs after a round trip", want.Name)
		}
	}

	b := randomBatch(c.VocabSize, []int{10, 5}, []int{2, 1}, 1)
	adapted, err := m.TrainForward(b.seqs, b.from, TrainOptions{Temperature: 1, LoRA: back})
	if err != nil {
		t.Fatal(err)
	}
	back.Merge(m)
	merged, err := m.TrainForward(b.seqs, b.from, TrainOptions{Temperature: 1})
	if err != nil {
		t.Fatal(err)
	}
	for i := range merged.Logp {
		for j := range merged.Logp[i] {
			if math.Abs(merged.Logp[i][j]-adapted.Logp[i][j]) > 1e-4 {
				t.Errorf("sequence %d token %d: merged logp %v, adapted %v", i, j, merged.Logp[i][j], adapted.Logp[i][j])
			}
		}
	}
}

func TestLoadLoRARefuses(t *testing.T) {
	c := testConfig(false, 4, 2)
	cases := []struct{ config, want string }{
		{`{"peft_type":"IA3","r":4,"lora_alpha":8,"target_modules":["q_proj"]}`, "peft_type"},
		{`{"peft_type":"LORA","r":4,"lora_alpha":8,"target_modules":"q_proj|v_proj"}`, "target_modules"},
		{`{"peft_type":"LORA","r":4,"lora_alpha":8,"target_modules":["embed_tokens"]}`, "embed_tokens"},
		{`{"peft_type":"LORA","r":0,"lora_alpha":8,"target_modules":["q_proj"]}`, "rank"},
		{`{"peft_type":"LORA","r":4,"lora_alpha":8,"target_modules":["q_proj"],"use_dora":true}`, "use_dora"},
		{`{"peft_type":"LORA","r":4,"lora_alpha":8,"target_modules":["q_proj"],"rank_pattern":{"q_proj":8}}`, "rank_pattern"},
	}
	for _, tc := range cases {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "adapter_config.json"), []byte(tc.config), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadLoRA(dir, &c); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one mentioning %q", tc.config, err, tc.want)
		}
	}
	// A well-formed config whose weights are missing names the file.
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "adapter_config.json"), []byte(`{"peft_type":"LORA","r":2,"lora_alpha":4,"target_modules":["q_proj"]}`), 0o644)
	if _, err := LoadLoRA(dir, &c); err == nil || !strings.Contains(err.Error(), "adapter_model.safetensors") {
		t.Errorf("missing weights: %v", err)
	}
}

func FuzzParseLoRAConfig(f *testing.F) {
	f.Add([]byte(`{"peft_type":"LORA","r":4,"lora_alpha":8,"target_modules":["q_proj","v_proj"]}`))
	f.Add([]byte(`{"peft_type":"LORA","r":-1,"lora_alpha":1e308,"target_modules":[]}`))
	c := testConfig(true, 4, 2)
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := parseLoRAConfig(data, &c)
		if err == nil {
			if err := l.check(&c); err != nil {
				t.Fatalf("accepted config makes adapters that do not fit: %v", err)
			}
		}
	})
}
