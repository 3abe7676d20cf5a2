package world

import (
	"bytes"
	"encoding/json"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"research/dataset"
)

// small is a quick configuration for tests.
var small = Config{Seed: 7, Entities: 120, HeldOut: 60, TrainQuestions: 200, DevQuestions: 60, TestQuestions: 60, NearDuplicates: 0.2}

func generate(t testing.TB, cfg Config) *Generation {
	t.Helper()
	g, err := Generate(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestQuestionsAnswerable(t *testing.T) {
	for _, cfg := range []Config{DefaultConfig, small, {Seed: 99, Entities: 40, HeldOut: 40, TrainQuestions: 40, DevQuestions: 20, TestQuestions: 20}} {
		t.Run(strconv.FormatUint(cfg.Seed, 10), func(t *testing.T) {
			checkGeneration(t, generate(t, cfg))
		})
	}
}

// TestCheckCatchesErrors makes sure the invariant checker fails on broken
// questions, so that its silence elsewhere means something.
func TestCheckCatchesErrors(t *testing.T) {
	g := generate(t, small)
	passages := map[string]Passage{}
	for _, p := range g.World(Train).Passages() {
		passages[p.ID] = p
	}
	find := func(typ QuestionType) Question {
		for _, q := range g.Questions[Train] {
			if q.Type == typ {
				return q
			}
		}
		t.Fatalf("no %s question", typ)
		return Question{}
	}
	cases := []struct {
		name  string
		typ   QuestionType
		spoil func(q *Question)
	}{
		{"wrong gold", Chain, func(q *Question) { q.Answers = []string{"Nowhere"} }},
		{"wrong step answer", Bridge, func(q *Question) { q.Decomposition[0].Answer = "Nobody" }},
		{"wrong passage", Bridge, func(q *Question) { q.Decomposition[1].Supporting = q.Decomposition[0].Supporting }},
		{"distractor city", Bridge, func(q *Question) {
			// The person's later home is in the passage but is not where they were born.
			for i, s := range q.Decomposition {
				if strings.HasPrefix(s.Question, "Where was") {
					e := g.World(Train).Get(s.Supporting[0])
					q.Decomposition[i].Answer = g.World(Train).Get(e.MovedTo).Name
					return
				}
			}
			q.Answers = nil
		}},
		{"flipped comparison", Comparison, func(q *Question) {
			loser := passages[q.Supporting[0]].Title
			if loser == q.Answers[0] {
				loser = passages[q.Supporting[1]].Title
			}
			q.Answers = []string{loser}
		}},
		{"flipped yes/no", YesNo, func(q *Question) { q.Answers = []string{map[string]string{"yes": "no", "no": "yes"}[q.Answers[0]]} }},
		{"swapped subjects", Comparison, func(q *Question) { q.Subjects = []string{q.Subjects[1], q.Subjects[0]} }},
		{"subjects on a bridge", Bridge, func(q *Question) { q.Subjects = []string{"A", "B"} }},
		{"wrong hops", Chain, func(q *Question) { q.Hops = 2 }},
		{"missing support", Bridge, func(q *Question) { q.Supporting = q.Supporting[:1] }},
	}
	// A back-link: the director's passage names the film asked about.
	q := find(Bridge)
	linked := maps.Clone(passages)
	second := linked[q.Decomposition[1].Supporting[0]]
	second.Text += " " + linked[q.Supporting[0]].Title + " is well known."
	linked[second.ID] = second
	if err := checkQuestion(q, linked); err == nil {
		t.Errorf("back-link: a second hop naming the subject passes")
	}
	for _, c := range cases {
		q := find(c.typ)
		q.Decomposition = slices.Clone(q.Decomposition)
		if err := checkQuestion(q, passages); err != nil {
			t.Fatalf("%s: intact question fails: %v", c.name, err)
		}
		c.spoil(&q)
		if err := checkQuestion(q, passages); err == nil {
			t.Errorf("%s: broken question passes: %+v", c.name, q)
		}
	}
}

func TestDeterministicFiles(t *testing.T) {
	dirs := []string{t.TempDir(), t.TempDir(), t.TempDir()}
	other := small
	other.Seed++
	for i, cfg := range []Config{small, small, other} {
		if err := generate(t, cfg).WriteDir(dirs[i]); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{CorpusFile, GraphFile, QuestionFile(Train), QuestionFile(Dev), QuestionFile(Test)} {
		read := func(dir string) []byte {
			data, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			return data
		}
		a, b, c := read(dirs[0]), read(dirs[1]), read(dirs[2])
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs between two runs with the same seed", name)
		}
		if bytes.Equal(a, c) {
			t.Errorf("%s is the same for seeds %d and %d", name, small.Seed, other.Seed)
		}
	}
	leftovers, _ := filepath.Glob(filepath.Join(dirs[0], "*.tmp*"))
	if len(leftovers) > 0 {
		t.Errorf("temporary files left: %v", leftovers)
	}
}

// TestMoreQuestionsSameWorld checks that the worlds do not depend on how
// many questions are asked, so question counts can change between runs
// without moving the corpus.
func TestMoreQuestionsSameWorld(t *testing.T) {
	more := small
	more.TrainQuestions *= 2
	a, b := generate(t, small).Corpus(), generate(t, more).Corpus()
	if !slices.Equal(a, b) {
		t.Error("corpus changed with the number of training questions")
	}
}

func TestHeldOutLeakage(t *testing.T) {
	g := generate(t, DefaultConfig)
	// Every word of every split's names, by split.
	nameWords := map[string]map[string]bool{}
	for _, w := range g.Worlds {
		nameWords[w.Split] = map[string]bool{}
		for _, e := range w.Entities {
			for _, word := range words(e.Name) {
				nameWords[w.Split][word] = true
			}
		}
	}
	var trainText []string
	trainText = append(trainText, g.PretrainDocuments()...)
	for _, q := range g.Questions[Train] {
		raw, _ := json.Marshal(q)
		trainText = append(trainText, string(raw))
	}
	for _, held := range []string{Dev, Test} {
		for word := range nameWords[held] {
			if nameWords[Train][word] {
				t.Errorf("%s name word %q is also a train name word", held, word)
			}
		}
		for _, text := range trainText {
			for _, word := range words(text) {
				if nameWords[held][word] {
					t.Fatalf("%s name word %q appears in training text: %s", held, word, text)
				}
			}
		}
	}
	for word := range nameWords[Dev] {
		if nameWords[Test][word] {
			t.Errorf("dev and test worlds share the name word %q", word)
		}
	}
	for _, split := range Splits {
		prefix := split + "-"
		for _, q := range g.Questions[split] {
			for _, id := range q.Supporting {
				if !strings.HasPrefix(id, prefix) {
					t.Errorf("%s question %s is supported by %s", split, q.ID, id)
				}
			}
		}
	}
}

func TestNearDuplicateNames(t *testing.T) {
	within, across := nearDuplicatePairs(generate(t, DefaultConfig))
	t.Logf("near-duplicate name pairs: %d within train, %d train/held-out", within, across)
	if within < 20 || across < 20 {
		t.Errorf("%d near-duplicate pairs within train and %d across splits, want at least 20 each", within, across)
	}
	none := DefaultConfig
	none.NearDuplicates = 0
	// Random names still collide by chance, but far less often.
	if chance, _ := nearDuplicatePairs(generate(t, none)); chance*2 > within {
		t.Errorf("%d near-duplicate pairs without near-duplicates asked, %d with", chance, within)
	}
}

// nearDuplicatePairs counts name words one letter apart within the train
// world and between it and the held-out worlds.
func nearDuplicatePairs(g *Generation) (within, across int) {
	var train, held []string
	for _, w := range g.Worlds {
		for _, e := range w.Entities {
			for _, word := range strings.Fields(e.Name) {
				if w.Split == Train {
					train = append(train, word)
				} else {
					held = append(held, word)
				}
			}
		}
	}
	for i, a := range train {
		for _, b := range train[i+1:] {
			if oneLetterApart(a, b) {
				within++
			}
		}
		for _, b := range held {
			if oneLetterApart(a, b) {
				across++
			}
		}
	}
	return within, across
}

func oneLetterApart(a, b string) bool {
	if len(a) != len(b) || a == b {
		return false
	}
	diff := 0
	for i := range len(a) {
		if a[i] != b[i] {
			diff++
		}
	}
	return diff == 1
}

func TestQuestionMix(t *testing.T) {
	g := generate(t, DefaultConfig)
	wantTotal := map[string]int{Train: DefaultConfig.TrainQuestions, Dev: DefaultConfig.DevQuestions, Test: DefaultConfig.TestQuestions}
	for _, split := range Splits {
		qs := g.Questions[split]
		if len(qs) != wantTotal[split] {
			t.Errorf("%s: %d questions, want %d", split, len(qs), wantTotal[split])
		}
		byType := map[QuestionType]int{}
		byTemplate := map[string]int{}
		yes := 0
		for i, q := range qs {
			byType[q.Type]++
			byTemplate[q.Template]++
			if q.Answers[0] == "yes" {
				yes++
			}
			if want := split + "-" + strconv.Itoa(i); q.ID != want {
				t.Errorf("%s question %d has ID %q, want %q", split, i, q.ID, want)
			}
		}
		for i, typ := range QuestionTypes {
			share := float64(byType[typ]) / float64(len(qs))
			if math.Abs(share-Mix[i]) > 0.01 {
				t.Errorf("%s: %s share %.3f, want %.2f", split, typ, share, Mix[i])
			}
		}
		for _, tpl := range templates {
			if byTemplate[tpl.name] == 0 {
				t.Errorf("%s: no %s question", split, tpl.name)
			}
		}
		if ratio := float64(yes) / float64(byType[YesNo]); ratio < 0.3 || ratio > 0.7 {
			t.Errorf("%s: %d of %d yes/no questions answer yes", split, yes, byType[YesNo])
		}
		// Shuffled: the first tenth must not be all one type.
		first := map[QuestionType]bool{}
		for _, q := range qs[:len(qs)/10] {
			first[q.Type] = true
		}
		if len(first) < 3 {
			t.Errorf("%s: first tenth holds only types %v", split, first)
		}
	}
}

func TestEntityCounts(t *testing.T) {
	for _, n := range []int{40, 100, 400, 1000} {
		counts := typeCounts(n)
		total := 0
		for _, typ := range Types {
			total += counts[typ]
			if counts[typ] < 2 {
				t.Errorf("n=%d: %d %s entities", n, counts[typ], typ)
			}
		}
		if total != n || counts[City] < 2*counts[Country] {
			t.Errorf("n=%d: counts %v", n, counts)
		}
	}
	g := generate(t, small)
	for _, w := range g.Worlds {
		want := map[string]int{Train: small.Entities, Dev: small.HeldOut, Test: small.HeldOut}[w.Split]
		if len(w.Entities) != want {
			t.Errorf("%s world: %d entities, want %d", w.Split, len(w.Entities), want)
		}
		for _, c := range w.OfType(Country) {
			if capital := w.Get(c.Capital); capital.Country != c.ID {
				t.Errorf("capital %s of %s lies in %s", capital.Name, c.Name, capital.Country)
			}
		}
		for _, f := range w.OfType(Film) {
			if d := w.Get(f.Director); f.Year-d.Year < 25 || f.Year > lastYear {
				t.Errorf("film %s (%d) directed by %s born %d", f.Name, f.Year, d.Name, d.Year)
			}
		}
		for _, c := range w.OfType(Company) {
			if f := w.Get(c.Founder); c.Year-f.Year < 20 || c.Year > lastYear {
				t.Errorf("company %s (%d) founded by %s born %d", c.Name, c.Year, f.Name, f.Year)
			}
		}
	}
}

func TestCorpusFormat(t *testing.T) {
	dir := t.TempDir()
	g := generate(t, small)
	if err := g.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, CorpusFile))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if want := small.Entities + 2*small.HeldOut; len(lines) != want {
		t.Fatalf("%d corpus lines, want %d", len(lines), want)
	}
	ids := map[string]bool{}
	for i, line := range lines {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		id, _ := rec["id"].(string)
		contents, _ := rec["contents"].(string)
		if len(rec) != 2 || id == "" || ids[id] {
			t.Fatalf("line %d: want a new string id and contents only: %s", i+1, line)
		}
		ids[id] = true
		title, text, ok := strings.Cut(contents, "\n")
		unquoted, err := strconv.Unquote(title)
		if !ok || err != nil || unquoted == "" || !strings.HasPrefix(text, unquoted+" ") {
			t.Errorf("line %d: contents not \"Title\"\\ntext starting with the title: %q", i+1, contents)
		}
		if n := len(strings.Fields(text)); n < 15 || n > 80 {
			t.Errorf("line %d: %d words", i+1, n)
		}
	}
}

// TestDatasetReader reads the question files with the project's dataset
// reader, which must see the FlashRAG fields and ignore the extra ones.
func TestDatasetReader(t *testing.T) {
	dir := t.TempDir()
	g := generate(t, small)
	if err := g.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	for _, split := range Splits {
		exs, err := dataset.ReadFile(filepath.Join(dir, QuestionFile(split)))
		if err != nil {
			t.Fatal(err)
		}
		qs := g.Questions[split]
		if len(exs) != len(qs) {
			t.Fatalf("%s: read %d examples, wrote %d", split, len(exs), len(qs))
		}
		for i, ex := range exs {
			if ex.ID != qs[i].ID || ex.Question != qs[i].Question || !slices.Equal(ex.Answers, qs[i].Answers) {
				t.Errorf("%s %d: read %+v, wrote %+v", split, i, ex, qs[i])
			}
		}
	}
}

func TestPretrainDocuments(t *testing.T) {
	g := generate(t, small)
	docs := g.PretrainDocuments()
	if len(docs) != small.Entities {
		t.Fatalf("%d documents, want one per train entity (%d)", len(docs), small.Entities)
	}
	corpus := map[string]bool{}
	for _, p := range g.Corpus() {
		corpus[p.Contents()] = true
	}
	for _, d := range docs {
		if !corpus[d] {
			t.Fatalf("document is not a corpus passage: %q", d)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	cases := []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"tiny train world", func(c *Config) { c.Entities = 10 }, "at least 40"},
		{"tiny held-out world", func(c *Config) { c.HeldOut = 39 }, "at least 40"},
		{"negative questions", func(c *Config) { c.DevQuestions = -1 }, "negative"},
		{"near-duplicates", func(c *Config) { c.NearDuplicates = 1 }, "near-duplicate"},
		{"too many questions", func(c *Config) { c.Entities, c.TrainQuestions = 40, 5000 }, "ask fewer questions"},
	}
	for _, c := range cases {
		cfg := small
		c.edit(&cfg)
		_, err := Generate(cfg)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
}
