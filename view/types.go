package view

import (
	"bufio"
	"encoding/json"
	"os"
	"strings"
	"sync"
)

// typeIndex maps question ids to question types ("bridge", "comparison"…)
// from the data files a run read: dumps and results do not carry the
// type. The files are read once, on the first page that needs a type.
type typeIndex struct {
	files []string
	once  sync.Once
	types map[string]string
}

func newTypeIndex(files []string) *typeIndex { return &typeIndex{files: files} }

func (x *typeIndex) lookup(id string) string {
	x.once.Do(x.load)
	return x.types[id]
}

// load reads the JSON Lines files among x.files; a file it cannot read
// only leaves its questions without a type.
func (x *typeIndex) load() {
	x.types = map[string]string{}
	for _, path := range x.files {
		if !strings.HasSuffix(path, ".jsonl") {
			continue
		}
		f, err := os.Open(path)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 0, 1<<16), 64<<20)
		for sc.Scan() {
			var q struct {
				ID       string `json:"id"`
				Type     string `json:"type"`
				Metadata struct {
					Type string `json:"type"`
				} `json:"metadata"`
			}
			if json.Unmarshal(sc.Bytes(), &q) != nil || q.ID == "" {
				continue
			}
			t := q.Type
			if t == "" {
				t = q.Metadata.Type
			}
			if t != "" {
				x.types[q.ID] = t
			}
		}
		f.Close()
	}
}
