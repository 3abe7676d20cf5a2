package world

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"research/internal/safefile"
)

// The files WriteDir writes.
const (
	CorpusFile = "corpus.jsonl"
	GraphFile  = "world.json"
)

// QuestionFile names the file of a split's questions.
func QuestionFile(split string) string { return split + ".jsonl" }

// graphFormat and graphVersion mark world.json; readers refuse others.
const (
	graphFormat  = "research-world"
	graphVersion = 1
)

// graph is the layout of world.json.
type graph struct {
	Format  string   `json:"format"`
	Version int      `json:"version"`
	Config  Config   `json:"config"`
	Worlds  []*World `json:"worlds"`
}

// WriteDir writes the generation into dir (created if needed): the corpus,
// one question file per split and the entity graph. Each file is written
// to a temporary name, synced and renamed, so a reader never sees half a
// file.
func (g *Generation) WriteDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("world: %w", err)
	}
	if err := safefile.Write(filepath.Join(dir, CorpusFile), g.WriteCorpus); err != nil {
		return err
	}
	for _, split := range Splits {
		write := func(w io.Writer) error { return g.WriteQuestions(w, split) }
		if err := safefile.Write(filepath.Join(dir, QuestionFile(split)), write); err != nil {
			return err
		}
	}
	return safefile.Write(filepath.Join(dir, GraphFile), g.WriteGraph)
}

// WriteCorpus writes every passage as a FlashRAG corpus line,
// {"id","contents"}: the input of the BM25 index builder.
func (g *Generation) WriteCorpus(w io.Writer) error {
	type line struct {
		ID       string `json:"id"`
		Contents string `json:"contents"`
	}
	enc := newEncoder(w)
	for _, p := range g.Corpus() {
		if err := enc.Encode(line{p.ID, p.Contents()}); err != nil {
			return err
		}
	}
	return nil
}

// WriteQuestions writes a split's questions as FlashRAG dataset lines.
func (g *Generation) WriteQuestions(w io.Writer, split string) error {
	return WriteQuestionList(w, g.Questions[split])
}

// WriteQuestionList writes questions as FlashRAG dataset lines.
func WriteQuestionList(w io.Writer, qs []Question) error {
	enc := newEncoder(w)
	for _, q := range qs {
		if err := enc.Encode(q); err != nil {
			return err
		}
	}
	return nil
}

// WriteGraph writes the config and the entity graph as world.json.
func (g *Generation) WriteGraph(w io.Writer) error {
	enc := newEncoder(w)
	enc.SetIndent("", " ")
	return enc.Encode(graph{graphFormat, graphVersion, g.Config, g.Worlds})
}

// newEncoder writes JSON without escaping <, > and &, as Python's json does.
func newEncoder(w io.Writer) *json.Encoder {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc
}

// ReadGraphFile reads a world.json written by WriteDir.
func ReadGraphFile(path string) (Config, []*World, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, nil, fmt.Errorf("world: %w", err)
	}
	cfg, worlds, err := ReadGraph(data)
	if err != nil {
		return Config{}, nil, fmt.Errorf("world: %s: %w", path, err)
	}
	return cfg, worlds, nil
}

// ReadGraph parses world.json: it refuses other formats and versions, and
// checks that every relation names an entity of the right type in the same
// world, so that passages and questions can be rendered from the result.
func ReadGraph(data []byte) (Config, []*World, error) {
	var head struct {
		Format  string `json:"format"`
		Version int    `json:"version"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return Config{}, nil, fmt.Errorf("not a world graph: %w", err)
	}
	if head.Format != graphFormat {
		return Config{}, nil, fmt.Errorf("format %q, want %q", head.Format, graphFormat)
	}
	if head.Version != graphVersion {
		return Config{}, nil, fmt.Errorf("%s version %d, this build reads version %d", graphFormat, head.Version, graphVersion)
	}
	var g graph
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&g); err != nil {
		return Config{}, nil, fmt.Errorf("world graph: %w", err)
	}
	for i, w := range g.Worlds {
		if w == nil {
			return Config{}, nil, fmt.Errorf("worlds[%d] is null", i)
		}
		if err := w.reindex(); err != nil {
			return Config{}, nil, fmt.Errorf("world %q: %w", w.Split, err)
		}
	}
	return g.Config, g.Worlds, nil
}

// reindex rebuilds the look-up tables of a decoded world and checks its
// entities and relations.
func (w *World) reindex() error {
	list := w.Entities
	*w = *newWorld(w.Split)
	for i, e := range list {
		if e == nil || e.ID == "" || e.Name == "" || w.byID[e.ID] != nil {
			return fmt.Errorf("entities[%d]: null, unnamed or duplicate entity", i)
		}
		if !validType(e.Type) {
			return fmt.Errorf("entity %s: unknown type %q", e.ID, e.Type)
		}
		w.add(e)
	}
	for _, e := range w.Entities {
		for _, r := range relations(e) {
			if t := w.Get(r.id); t == nil || t.Type != r.want {
				return fmt.Errorf("entity %s: %s %q is not a %s of this world", e.ID, r.name, r.id, r.want)
			}
		}
	}
	return nil
}

func validType(t Type) bool {
	for _, v := range Types {
		if t == v {
			return true
		}
	}
	return false
}

// relation is one relation field of an entity and the type it must point to.
type relation struct {
	name, id string
	want     Type
}

// relations lists the relations an entity of its type must have.
func relations(e *Entity) []relation {
	switch e.Type {
	case Country:
		return []relation{{"capital", e.Capital, City}, {"borders", e.Borders, Country}}
	case City:
		return []relation{{"country", e.Country, Country}, {"near", e.Near, City}}
	case Person:
		return []relation{{"born_in", e.BornIn, City}, {"studied_in", e.StudiedIn, City}, {"moved_to", e.MovedTo, City}, {"worked_with", e.WorkedWith, Person}}
	case Film:
		return []relation{{"director", e.Director, Person}, {"producer", e.Producer, Company}, {"star", e.Star, Person}, {"writer", e.Writer, Person}, {"shot_in", e.ShotIn, City}}
	case Company:
		return []relation{{"founder", e.Founder, Person}, {"headquarters", e.Headquarters, City}, {"office", e.Office, City}, {"chief", e.Chief, Person}}
	}
	return nil
}
