package eval

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzOpenOutput: any file content opens cleanly or fails with an error;
// what opens holds current-version records with distinct ids.
func FuzzOpenOutput(f *testing.F) {
	for _, s := range []string{
		`{"version":1,"id":"a","pred":"x","metrics":{"em":1}}` + "\n",
		`{"version":1,"id":"a"}` + "\n" + `{"version":1,"id":"b","judge":{"judgement":"correct"}}` + "\n" + `{"vers`,
		`{"version":2,"id":"a"}` + "\n",
		"\n", "null\n", `{"version":1,"id":"a","trajectory":{"version":1}}` + "\n",
	} {
		f.Add([]byte(s))
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(dir, "r.jsonl")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		o, err := OpenOutput(path)
		if err != nil {
			return
		}
		defer o.Close()
		seen := map[string]bool{}
		for _, r := range o.Records() {
			if r.Version != RecordVersion || r.ID == "" || seen[r.ID] {
				t.Fatalf("accepted record %+v", r)
			}
			seen[r.ID] = true
		}
	})
}
