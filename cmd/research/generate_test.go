package main

import (
	"encoding/json"
	"os"
	"slices"
	"testing"
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
