package main

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	"research/model"
)

const tinyModel = "../../model/testdata/tiny"

// tinyReference reads the tiny model's prompt and greedy continuation.
func tinyReference(t *testing.T) (prompt, greedy []int) {
	t.Helper()
	data, err := os.ReadFile(tinyModel + "/reference.json")
	if err != nil {
		t.Fatal(err)
	}
	var ref struct {
		Prompt    []int `json:"prompt"`
		GreedyIDs []int `json:"greedy_ids"`
	}
	if err := json.Unmarshal(data, &ref); err != nil {
		t.Fatal(err)
	}
	return ref.Prompt, ref.GreedyIDs[len(ref.Prompt):] // the file lists the prompt first
}

func idList(ids []int) string {
	b, _ := json.Marshal(ids)
	return string(b[1 : len(b)-1])
}

func TestGenerateCommand(t *testing.T) {
	prompt, greedy := tinyReference(t)
	out, _, err := runCLI(t, "", "generate", "--model", tinyModel, "--ids", idList(prompt), "--ids", idList(prompt[:4]),
		"--max-tokens", "12", "--stop-id", "255")
	if err != nil {
		t.Fatal(err)
	}
	var lines []generateLine
	for _, rec := range decodeLines(t, out) {
		b, _ := json.Marshal(rec)
		var l generateLine
		json.Unmarshal(b, &l)
		lines = append(lines, l)
	}
	if len(lines) != 2 {
		t.Fatalf("got %d lines, want 2", len(lines))
	}
	stop := slices.Index(greedy, 255) + 1 // the reference continuation reaches 255
	if got := lines[0]; !slices.Equal(got.Tokens, greedy[:stop]) || got.Finish != "stop" || got.StopID == nil || *got.StopID != 255 {
		t.Errorf("prompt 0: %+v, want tokens %v ending at stop id 255", got, greedy[:stop])
	}
	if len(lines[1].Logprobs) != len(lines[1].Tokens) || lines[1].Prompt != 1 {
		t.Errorf("prompt 1: %+v", lines[1])
	}
}

func TestLogitsCommand(t *testing.T) {
	prompt, greedy := tinyReference(t)
	out, _, err := runCLI(t, "", "logits", "--model", tinyModel, "--ids", idList(prompt))
	if err != nil {
		t.Fatal(err)
	}
	var res struct {
		IDs    []int     `json:"ids"`
		Logits []float32 `json:"logits"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.IDs, prompt) || len(res.Logits) != 258 {
		t.Fatalf("ids %v, %d logits", res.IDs, len(res.Logits))
	}
	best := 0
	for i, v := range res.Logits {
		if v > res.Logits[best] {
			best = i
		}
	}
	if best != greedy[0] {
		t.Errorf("argmax %d, want %d", best, greedy[0])
	}
}

// TestDTypeFlag checks --dtype on the commands that run a model in
// process: logits with bf16 prints the logits of the model loaded in BF16,
// to the bit, which differ from the F32 ones; generate runs with it; an
// unknown dtype is refused naming the flag; serve-tinker, which trains, has
// no such flag.
func TestDTypeFlag(t *testing.T) {
	prompt, _ := tinyReference(t)
	logits := func(dtype string) []float32 {
		t.Helper()
		out, _, err := runCLI(t, "", "logits", "--model", tinyModel, "--ids", idList(prompt), "--dtype", dtype)
		if err != nil {
			t.Fatal(err)
		}
		var res struct {
			Logits []float32 `json:"logits"`
		}
		if err := json.Unmarshal([]byte(out), &res); err != nil {
			t.Fatal(err)
		}
		return res.Logits
	}
	m, err := model.LoadAs(tinyModel, model.BF16)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	want, err := m.Forward([]model.Input{{Cache: m.NewCache(0), Tokens: prompt}})
	if err != nil {
		t.Fatal(err)
	}
	got, f32 := logits("bf16"), logits("f32")
	if !slices.Equal(got, want[0]) {
		t.Error("logits --dtype bf16 differ from the BF16 model's")
	}
	if slices.Equal(got, f32) {
		t.Error("logits --dtype bf16 equal the F32 ones: the weights were not rounded")
	}
	out, _, err := runCLI(t, "", "generate", "--model", tinyModel, "--ids", idList(prompt), "--max-tokens", "4", "--dtype", "bf16")
	if err != nil || len(decodeLines(t, out)) != 1 {
		t.Errorf("generate --dtype bf16: %v, output %q", err, out)
	}
	for _, args := range [][]string{
		{"logits", "--model", tinyModel, "--ids", "1,2"},
		{"generate", "--model", tinyModel, "--ids", "1,2"},
		{"serve-model", "--model", tinyModel, "--addr", "127.0.0.1:0"},
	} {
		_, _, err := runCLI(t, "", append(args, "--dtype", "f16")...)
		if err == nil || !strings.Contains(err.Error(), "--dtype") {
			t.Errorf("%s --dtype f16: %v, want an error naming --dtype", args[0], err)
		}
	}
	if _, _, err := runCLI(t, "", "serve-tinker", "--model", tinyModel, "--dtype", "bf16"); err == nil || !strings.Contains(err.Error(), "unknown flag") {
		t.Errorf("serve-tinker --dtype: %v, want an unknown flag", err)
	}
}
