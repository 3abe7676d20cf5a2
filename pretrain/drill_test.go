package pretrain

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"research/model"
	"research/protocol"
	"research/search"
	"research/world"
)

// charTok encodes each byte as its own token, so tests can read token spans
// back as text.
type charTok struct{}

func (charTok) Encode(s string) []int {
	ids := make([]int, len(s))
	for i := range s {
		ids[i] = int(s[i])
	}
	return ids
}

func decode(ids []int) string {
	b := make([]byte, len(ids))
	for i, id := range ids {
		b[i] = byte(id)
	}
	return string(b)
}

// TestDrills: a drill has its sub-question as context, then learns to
// search for it and to write the step's answer after the result, which
// it is not trained to write; the reading world's names are its own.
func TestDrills(t *testing.T) {
	rg, err := ReadingWorld(1001, 50)
	if err != nil {
		t.Fatal(err)
	}
	for _, answer := range []bool{false, true} {
		seqs, err := Drills(rg, 50, charTok{}, fakeSearch, false, answer, rand.New(rand.NewPCG(1, 1)))
		if err != nil {
			t.Fatal(err)
		}
		if len(seqs) != 50 {
			t.Fatalf("%d drills, want 50", len(seqs))
		}
		checkDrills(t, rg, seqs, answer)
	}
	if _, err := Drills(rg, 51, charTok{}, fakeSearch, false, false, rand.New(rand.NewPCG(1, 1))); err == nil {
		t.Error("51 drills from a world of 50 questions: want an error")
	}
	train := map[string]bool{}
	for _, e := range smallWorld(t).World(world.Train).Entities {
		train[e.Name] = true
	}
	for _, e := range rg.World(world.Train).Entities {
		if train[e.Name] {
			t.Errorf("reading-world entity %s is named like a train-world one", e.Name)
		}
	}
}

// checkDrills checks each drill's context, what it trains on and what it
// masks; with answer the drill ends with the answer block.
func checkDrills(t *testing.T, rg *world.Generation, seqs []Sequence, answer bool) {
	t.Helper()
	for i, s := range seqs {
		q := rg.Questions[world.Train][i]
		prompt := decode(s.Tokens[:s.From])
		var step *world.Step
		for k := range q.Decomposition {
			if prompt == think(q.Decomposition[k].Question) {
				step = &q.Decomposition[k]
			}
		}
		if step == nil {
			t.Fatalf("drill %d: context %q is none of %s's sub-questions", i, prompt, q.ID)
		}
		var trained, masked strings.Builder
		for j, w := range s.Mask {
			c := decode(s.Tokens[s.From+j : s.From+j+1])
			if w == 1 {
				trained.WriteString(c)
			} else {
				masked.WriteString(c)
			}
		}
		query := strings.TrimSuffix(step.Question, "?")
		want := protocol.RenderSearch(query) + think(step.Answer)
		if answer {
			want += answerText(step.Answer, protocol.Base.EOSText())
		}
		if trained.String() != want {
			t.Errorf("drill %d trains on %q, want %q", i, trained.String(), want)
		}
		if !strings.HasPrefix(masked.String(), " "+protocol.ResultOpen) || !strings.Contains(masked.String(), query) {
			t.Errorf("drill %d: masked text %q is not the result of %q", i, masked.String(), query)
		}
	}
}

// TestProbeReadingCounts: the probe counts one step per search of a clean
// trace, and as found those whose result holds the answer, and one
// conclusion per comparison or yes/no question; a random model reads and
// concludes next to none of them.
func TestProbeReadingCounts(t *testing.T) {
	g := smallWorld(t)
	qs := g.Questions[world.Train][:20]
	hops, conclusions, yesno := 0, 0, 0
	for _, q := range qs {
		hops += len(q.Decomposition)
		if q.Type == world.Comparison || q.Type == world.YesNo {
			conclusions++
		}
		if q.Type == world.YesNo {
			yesno++
		}
	}
	c := model.Config{ModelType: "qwen2", VocabSize: 256, HiddenSize: 16, IntermediateSize: 32, NumLayers: 1,
		NumHeads: 2, NumKVHeads: 1, HeadDim: 8, RopeTheta: 10000, RMSNormEps: 1e-6, MaxPositions: 4096, TieWordEmbeddings: true}
	m, err := model.New(c, 0.02, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	answers := map[string]string{}
	for _, q := range qs {
		for _, s := range q.Decomposition {
			answers[strings.TrimSuffix(s.Question, "?")] = s.Answer
		}
	}
	oracle := func(q string) ([]search.Doc, error) {
		return []search.Doc{{ID: "d", Contents: "\"" + q + "\"\nThe answer is " + answers[q] + "."}}, nil
	}
	for _, tc := range []struct {
		name  string
		find  Searcher
		found int
	}{{"misses", fakeSearch, 0}, {"oracle", oracle, hops}} {
		r, err := ProbeReading(m, charTok{}, tc.find, qs, Style{})
		if err != nil {
			t.Fatal(err)
		}
		if r.Steps != hops || r.Found != tc.found || r.Read > 1 || r.ReadFound > r.Read || r.Conclusions != conclusions || conclusions == 0 || r.Concluded > 1 ||
			r.YesNo != yesno || yesno == 0 || r.YesNoConcluded > r.YesNo {
			t.Errorf("%s: %+v, want %d steps, %d found, %d conclusions, next to none read or concluded", tc.name, r, hops, tc.found, conclusions)
		}
	}
}

// TestCopies: an exercise lists names of the reading world and trains on
// writing the same list again, nothing else.
func TestCopies(t *testing.T) {
	rg, err := ReadingWorld(1001, 0)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, e := range rg.World(world.Train).Entities {
		names[e.Name] = true
	}
	seqs := Copies(rg, 20, charTok{}, rand.New(rand.NewPCG(1, 1)))
	if len(seqs) != 20 {
		t.Fatalf("%d exercises, want 20", len(seqs))
	}
	for i, s := range seqs {
		head, repeat := decode(s.Tokens[:s.From]), decode(s.Tokens[s.From:])
		list, ok := strings.CutPrefix(head, "Names: ")
		if !ok || list != repeat+"\nAgain: " {
			t.Fatalf("exercise %d: %q then %q: want the list, then the same list", i, head, repeat)
		}
		for _, n := range strings.Split(strings.TrimSuffix(repeat, "."), ", ") {
			if !names[n] {
				t.Errorf("exercise %d: %q is no reading-world name", i, n)
			}
		}
		if len(s.Mask) != len(repeat) || slices.Contains(s.Mask, 0) {
			t.Errorf("exercise %d: mask %v, want all of the repeat", i, s.Mask)
		}
	}
}

// TestAnswerStart: the probe scores a finding from the space before its
// answer, or whole when the answer cannot be found in it.
func TestAnswerStart(t *testing.T) {
	for _, tc := range []struct{ finding, answer, want string }{
		{think("Safa is a film directed by Ann Lee"), "Ann Lee", " Ann Lee </think>"},
		{think("Ann Lee"), "Ann Lee", " Ann Lee </think>"},
		{think("Bo"), "Ann Lee", think("Bo")},
	} {
		ids := charTok{}.Encode(tc.finding)
		if got := decode(ids[answerStart(charTok{}, tc.finding, tc.answer, ids):]); got != tc.want {
			t.Errorf("answer %q in %q: scored %q, want %q", tc.answer, tc.finding, got, tc.want)
		}
	}
}

// TestConclusion: comparisons and yes/no questions conclude from the last
// finding of each subject's steps; other types have no conclusion.
func TestConclusion(t *testing.T) {
	steps := func(answers ...string) []world.Step {
		var s []world.Step
		for _, a := range answers {
			s = append(s, world.Step{Answer: a})
		}
		return s
	}
	cases := []struct {
		name     string
		q        world.Question
		checkOff bool
		want     string // "" for none
	}{
		{"comparison", world.Question{Type: world.Comparison, Subjects: []string{"Sinpa", "Kupuso"},
			Decomposition: steps("2009", "1987"), Answers: []string{"Kupuso"}}, false, "2009 for Sinpa, 1987 for Kupuso. So 1987 for Kupuso."},
		{"yes/no over two hops", world.Question{Type: world.YesNo, Subjects: []string{"Ana Lu", "Bo"},
			Decomposition: steps("Krifi", "Shatri", "Vemo", "Shatri"), Answers: []string{"yes"}}, false, "Shatri for Ana Lu, Shatri for Bo. So yes."},
		{"yes/no checked off", world.Question{Type: world.YesNo, Subjects: []string{"Ana Lu", "Bo"},
			Decomposition: steps("Krifi", "Shatri", "Vemo", "Shatri"), Answers: []string{"yes"}}, true, "Ana Lu: Shatri yes. Bo: Shatri yes. So yes."},
		{"yes/no checked off, different names", world.Question{Type: world.YesNo, Subjects: []string{"Ana Lu", "Bo"},
			Decomposition: steps("Krifi", "Vemo"), Answers: []string{"no"}}, true, "Ana Lu: Krifi yes. Bo: Vemo no. So no."},
		{"comparison with checkOff", world.Question{Type: world.Comparison, Subjects: []string{"Sinpa", "Kupuso"},
			Decomposition: steps("2009", "1987"), Answers: []string{"Kupuso"}}, true, "2009 for Sinpa, 1987 for Kupuso. So 1987 for Kupuso."},
		{"first subject wins", world.Question{Type: world.Comparison, Subjects: []string{"Sinpa", "Kupuso"},
			Decomposition: steps("755,000", "1,633,000"), Answers: []string{"Sinpa"}}, false, "755,000 for Sinpa, 1,633,000 for Kupuso. So 755,000 for Sinpa."},
		{"bridge", world.Question{Type: world.Bridge, Decomposition: steps("Bo", "Krifi"), Answers: []string{"Krifi"}}, false, ""},
		{"no subjects", world.Question{Type: world.Comparison, Decomposition: steps("1", "2"), Answers: []string{"A"}}, false, ""},
		{"no steps", world.Question{Type: world.YesNo, Subjects: []string{"A", "B"}, Answers: []string{"no"}}, true, ""},
	}
	for _, c := range cases {
		got, _, ok := conclusion(c.q, c.checkOff)
		if got != c.want || ok != (c.want != "") {
			t.Errorf("%s: conclusion %q, %v; want %q", c.name, got, ok, c.want)
		}
	}
}

// TestConclusions: a conclusion drill holds its question and every step's
// question and finding as context, and trains on the conclusion and the
// answer only.
func TestConclusions(t *testing.T) {
	rg, err := ReadingWorld(1001, 60)
	if err != nil {
		t.Fatal(err)
	}
	var qs []world.Question
	for _, q := range rg.Questions[world.Train] {
		if q.Type == world.Comparison || q.Type == world.YesNo {
			qs = append(qs, q)
		}
	}
	seqs, err := Conclusions(rg, len(qs), charTok{}, fakeSearch, Style{CheckOff: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(seqs) != len(qs) || len(qs) == 0 {
		t.Fatalf("%d drills from %d questions", len(seqs), len(qs))
	}
	for i, s := range seqs {
		q := qs[i]
		context := decode(s.Tokens[:s.From])
		if !strings.Contains(context, "User: "+q.Question) {
			t.Errorf("drill %d: context %q lacks the question %q", i, context, q.Question)
		}
		for _, step := range q.Decomposition {
			if !strings.Contains(context, think(step.Question)+think(step.Answer)) {
				t.Errorf("drill %d: context %q lacks step %q", i, context, step.Question)
			}
		}
		c, _, _ := conclusion(q, true)
		want := think(c) + answerText(q.Answers[0], protocol.Base.EOSText())
		if got := decode(s.Tokens[s.From:]); got != want || slices.Contains(s.Mask, 0) {
			t.Errorf("drill %d trains on %q (mask %v), want %q", i, got, s.Mask, want)
		}
	}
	if _, err := Conclusions(rg, len(qs)+1, charTok{}, fakeSearch, Style{}); err == nil {
		t.Errorf("%d conclusion drills from %d questions: want an error", len(qs)+1, len(qs))
	}
}
