package main

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"research/model"
	"research/tokenizer"
)

func TestPretrainWritesALoadableModel(t *testing.T) {
	dir := t.TempDir()
	worldDir, out := filepath.Join(dir, "world"), filepath.Join(dir, "base")
	if _, _, err := runCLI(t, "", "world", "--seed", "3", "--entities", "40", "--held-out", "40", "--train", "20",
		"--dev", "5", "--test", "5", "--out", worldDir); err != nil {
		t.Fatal(err)
	}
	_, stderr, err := runCLI(t, "", "pretrain", "--world", worldDir, "--out", out, "--vocab", "400", "--hidden", "32",
		"--layers", "1", "--heads", "2", "--kv-heads", "1", "--ffn", "64", "--epochs", "1", "--copies", "50", "--drills", "20", "--conclusions", "10")
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	m, err := model.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	tok, err := tokenizer.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	if tok.VocabSize() != m.Config.VocabSize || len(m.Config.EOSTokenIDs) != 1 {
		t.Errorf("tokenizer %d ids, model %d, eos %v", tok.VocabSize(), m.Config.VocabSize, m.Config.EOSTokenIDs)
	}
	if data, err := os.ReadFile(filepath.Join(out, "pretrain.json")); err != nil || !strings.Contains(string(data), "epoch_losses") || !strings.Contains(string(data), "dev_reading") {
		t.Errorf("pretrain.json: %v %s", err, data)
	}
	// A base continued on half the documents in the checked-off format
	// keeps the shape and tokenizer it started from.
	cont := filepath.Join(dir, "continued")
	if _, stderr, err := runCLI(t, "", "pretrain", "--world", worldDir, "--from", out, "--out", cont, "--check-off", "--share", "0.5",
		"--drills", "20", "--conclusions", "10"); err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	c, err := model.Load(cont)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if !reflect.DeepEqual(c.Config, m.Config) {
		t.Errorf("continued config %+v, base %+v", c.Config, m.Config)
	}
	if data, err := os.ReadFile(filepath.Join(cont, "pretrain.json")); err != nil || !strings.Contains(string(data), `"From": "`+out) || !strings.Contains(string(data), `"CheckOff": true`) {
		t.Errorf("pretrain.json of the continued base: %v %s", err, data)
	}
	for _, args := range [][]string{
		{"pretrain", "--out", out},
		{"pretrain", "--world", worldDir, "--from", out, "--out", cont, "--copies", "10"},
		{"pretrain", "--world", worldDir, "--from", out, "--out", cont, "--hidden", "16"},
		{"pretrain", "--world", worldDir, "--from", filepath.Join(dir, "none"), "--out", cont},
		{"pretrain", "--world", worldDir, "--out", out, "--share", "-0.5"},
		{"pretrain", "--world", worldDir, "--out", out, "--share", "1.5"},
		{"pretrain", "--world", worldDir, "--out", out, "--noise-whole", "0.9", "--noise-early", "0.9"},
		{"pretrain", "--world", filepath.Join(dir, "none"), "--out", out},
		{"pretrain", "--world", worldDir, "--out", out, "--drills", "-1"},
		{"pretrain", "--world", worldDir, "--out", out, "--conclusions", "-1"},
		{"pretrain", "--world", worldDir, "--out", out, "--beta2", "1"},
		{"pretrain", "--world", worldDir, "--out", out, "--copy-lr", "0"},
	} {
		if _, _, err := runCLI(t, "", args...); err == nil {
			t.Errorf("%v: accepted", args)
		}
	}
}
