package world

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestGraphRoundTrip(t *testing.T) {
	dir := t.TempDir()
	g := generate(t, small)
	if err := g.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	cfg, worlds, err := ReadGraphFile(filepath.Join(dir, GraphFile))
	if err != nil {
		t.Fatal(err)
	}
	if cfg != small || len(worlds) != len(g.Worlds) {
		t.Fatalf("read config %+v and %d worlds", cfg, len(worlds))
	}
	for i, w := range worlds {
		if !slices.Equal(w.Passages(), g.Worlds[i].Passages()) {
			t.Errorf("world %s renders differently after reading", w.Split)
		}
	}
}

func TestReadGraphErrors(t *testing.T) {
	valid := `{"format":"research-world","version":1,"config":{},"worlds":[{"split":"x","entities":[
		{"id":"c","type":"country","name":"Aa","capital":"t","borders":"c"},
		{"id":"t","type":"city","name":"Bb","country":"c","near":"t"}]}]}`
	if _, _, err := ReadGraph([]byte(valid)); err != nil {
		t.Fatalf("valid graph: %v", err)
	}
	cases := []struct{ name, data, want string }{
		{"not JSON", `{`, "not a world graph"},
		{"other format", `{"format":"x","version":1}`, `format "x"`},
		{"newer version", `{"format":"research-world","version":2}`, "version 2"},
		{"unknown field", strings.Replace(valid, `"config"`, `"extra":1,"config"`, 1), "unknown field"},
		{"dangling relation", strings.Replace(valid, `"capital":"t"`, `"capital":"nowhere"`, 1), "capital"},
		{"wrong relation type", strings.Replace(valid, `"capital":"t"`, `"capital":"c"`, 1), "not a city"},
		{"unknown type", strings.Replace(valid, `"type":"city"`, `"type":"moon"`, 1), "unknown type"},
		{"duplicate id", strings.Replace(valid, `"id":"t"`, `"id":"c"`, 1), "duplicate"},
		{"null world", `{"format":"research-world","version":1,"worlds":[null]}`, "null"},
	}
	for _, c := range cases {
		_, _, err := ReadGraph([]byte(c.data))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
	if _, _, err := ReadGraphFile(filepath.Join(t.TempDir(), "missing.json")); err == nil {
		t.Error("missing file: no error")
	}
}

func TestWriteDirError(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := generate(t, small).WriteDir(filepath.Join(file, "sub")); err == nil {
		t.Error("writing under a regular file: no error")
	}
}

// FuzzReadGraph feeds arbitrary bytes to the graph reader: it must return
// an error or worlds whose passages render, never panic.
func FuzzReadGraph(f *testing.F) {
	f.Add([]byte(`{"format":"research-world","version":1,"config":{},"worlds":[{"split":"x","entities":[
		{"id":"c","type":"country","name":"Aa","capital":"t","borders":"c"},
		{"id":"t","type":"city","name":"Bb","country":"c","near":"t"},
		{"id":"p","type":"person","name":"Cc Dd","born_in":"t","moved_to":"t","worked_with":"p"}]}]}`))
	f.Add([]byte(`{"format":"research-world","version":1}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, worlds, err := ReadGraph(data)
		if err != nil {
			return
		}
		for _, w := range worlds {
			w.Passages()
		}
	})
}

// FuzzGenerate draws worlds of random seeds and sizes: generation must
// succeed or fail with an error, and every world it makes must hold the
// invariants.
func FuzzGenerate(f *testing.F) {
	f.Add(uint64(1), 40, 40, 30, 0.2)
	f.Add(uint64(12345), 90, 55, 80, 0.0)
	f.Add(uint64(1<<63), 200, 41, 10, 0.9)
	f.Fuzz(func(t *testing.T, seed uint64, entities, heldOut, questions int, nearDup float64) {
		cfg := Config{Seed: seed, Entities: entities % 300, HeldOut: heldOut % 300,
			TrainQuestions: questions % 400, DevQuestions: questions % 50, TestQuestions: questions % 60,
			NearDuplicates: nearDup}
		g, err := Generate(cfg)
		if err != nil {
			return
		}
		checkGeneration(t, g)
	})
}
