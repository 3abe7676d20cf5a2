package pretrain

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"research/model"
	"research/protocol"
	"research/reward"
	"research/search"
	"research/world"
)

func smallWorld(t *testing.T) *world.Generation {
	t.Helper()
	cfg := world.DefaultConfig
	cfg.Entities, cfg.HeldOut, cfg.TrainQuestions, cfg.DevQuestions, cfg.TestQuestions = 40, 40, 60, 5, 5
	g, err := world.Generate(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// fakeSearch finds one passage named after the query.
func fakeSearch(q string) ([]search.Doc, error) {
	return []search.Doc{{ID: "d", Contents: "\"" + q + "\"\nText about " + q + "."}}, nil
}

// TestCleanTracesScoreFull: a trace without noise follows the decomposition
// and earns the full reward; its inserted results are marked.
func TestCleanTracesScoreFull(t *testing.T) {
	g := smallWorld(t)
	rng := rand.New(rand.NewPCG(1, 1))
	for _, q := range g.Questions[world.Train] {
		segs, err := Trace(q, fakeSearch, Noise{}, Style{}, "<|endoftext|>", rng)
		if err != nil {
			t.Fatal(err)
		}
		var text strings.Builder
		searches := 0
		for _, s := range segs {
			text.WriteString(s.Text)
			if s.Inserted != strings.HasPrefix(s.Text, " "+protocol.ResultOpen) {
				t.Fatalf("%s: segment %q marked inserted=%v", q.ID, s.Text, s.Inserted)
			}
			if s.Inserted {
				searches++
			}
		}
		if searches != len(q.Decomposition) {
			t.Errorf("%s: %d searches for %d steps", q.ID, searches, len(q.Decomposition))
		}
		if c, _, ok := conclusion(q, false); ok && !strings.Contains(text.String(), think(c)+" "+protocol.AnswerOpen) {
			t.Errorf("%s: the trace does not conclude with %q before answering:\n%s", q.ID, c, text.String())
		}
		r := reward.ScoreSolution(protocol.Base.Prompt(q.Question)+text.String(), q.Answers, "<|endoftext|>")
		if r.Score != 1 {
			t.Errorf("%s: clean trace scores %v (%s):\n%s", q.ID, r.Score, r.Reason, text.String())
		}
	}
}

// TestNoisyTracesAreWellFormed: every noisy trace keeps the format (the
// reward is positive) while a good share of them answer wrongly.
func TestNoisyTracesAreWellFormed(t *testing.T) {
	g := smallWorld(t)
	rng := rand.New(rand.NewPCG(2, 2))
	wrong := 0
	qs := g.Questions[world.Train]
	for _, q := range qs {
		segs, err := Trace(q, fakeSearch, DefaultNoise, Style{Quote: true}, "<|endoftext|>", rng)
		if err != nil {
			t.Fatal(err)
		}
		var text strings.Builder
		for _, s := range segs {
			text.WriteString(s.Text)
		}
		r := reward.ScoreSolution(protocol.Base.Prompt(q.Question)+text.String(), q.Answers, "<|endoftext|>")
		if r.Score == 0 {
			t.Errorf("%s: noisy trace badly formed: %s", q.ID, r.Reason)
		}
		if r.Score < 1 {
			wrong++
		}
	}
	if share := float64(wrong) / float64(len(qs)); share < 0.2 || share > 0.8 {
		t.Errorf("%.2f of the noisy traces answer wrongly: want a fair share", share)
	}
}

// TestGuessYesNo: with GuessYesNo every yes/no trace answers "yes" or
// "no"; without, the early ones answer with the first step's finding.
func TestGuessYesNo(t *testing.T) {
	g := smallWorld(t)
	for _, guess := range []bool{false, true} {
		noise := Noise{EarlyAnswer: 1, GuessYesNo: guess}
		rng := rand.New(rand.NewPCG(3, 3))
		yesno, names := 0, 0
		for _, q := range g.Questions[world.Train] {
			if q.Type != world.YesNo {
				continue
			}
			segs, err := Trace(q, fakeSearch, noise, Style{}, "<|endoftext|>", rng)
			if err != nil {
				t.Fatal(err)
			}
			yesno++
			last := segs[len(segs)-1].Text
			if !strings.Contains(last, `\boxed{yes}`) && !strings.Contains(last, `\boxed{no}`) {
				names++
			}
		}
		if yesno == 0 || (guess && names > 0) || (!guess && names != yesno) {
			t.Errorf("GuessYesNo %v: %d of %d yes/no traces answer with a name", guess, names, yesno)
		}
	}
}

type byteTok struct{}

func (byteTok) Encode(s string) []int {
	ids := make([]int, len(s))
	for i := range s {
		ids[i] = int(s[i]) % 64
	}
	return ids
}

// TestTrainLowersLoss: a few epochs on a handful of documents lower the
// loss, and masked tokens carry no weight.
func TestTrainLowersLoss(t *testing.T) {
	c := model.Config{ModelType: "qwen2", VocabSize: 64, HiddenSize: 32, IntermediateSize: 64, NumLayers: 1,
		NumHeads: 4, NumKVHeads: 2, HeadDim: 8, RopeTheta: 10000, RMSNormEps: 1e-6, MaxPositions: 512, TieWordEmbeddings: true}
	m, err := model.New(c, 0.02, rand.New(rand.NewPCG(1, 2)))
	if err != nil {
		t.Fatal(err)
	}
	var seqs []Sequence
	for i := range 8 {
		seqs = append(seqs, PassageSequence(byteTok{}, fmt.Sprintf("the city number %d is in the north", i), 0))
		seqs = append(seqs, TraceSequence(byteTok{}, "Q: ", []Segment{{Text: "<search> q </search>"}, {Text: "<result> r </result>", Inserted: true}}))
	}
	losses, err := Train(m, seqs, Options{Epochs: 4, LR: 1e-2, Warmup: 2, Beta2: 0.999, BatchTokens: 256, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if losses[len(losses)-1] > 0.8*losses[0] {
		t.Errorf("losses %v: want the last at most 80%% of the first", losses)
	}
	tr := TraceSequence(byteTok{}, "Q: ", []Segment{{Text: "ab"}, {Text: "cd", Inserted: true}})
	if fmt.Sprint(tr.Mask) != "[1 1 0 0]" || tr.From != 3 {
		t.Errorf("trace mask %v from %d", tr.Mask, tr.From)
	}
}

// TestCorpusInstructions: a share of the traces carry the paper's whole
// prompt, the rest its "User: … Assistant:" turn only.
func TestCorpusInstructions(t *testing.T) {
	g := smallWorld(t)
	passages := len(g.PretrainDocuments())
	want := protocol.Base.Prompt(g.Questions[world.Train][0].Question)
	turn := want[strings.Index(want, "User: "):]
	for _, share := range []float64{0, 0.5, 1} {
		s := DefaultShape
		s.Instructions, s.Traces = share, 1
		seqs, err := Corpus(g, byteTok{}, fakeSearch, 0, s)
		if err != nil {
			t.Fatal(err)
		}
		traces := seqs[passages:]
		if len(traces) != len(g.Questions[world.Train]) {
			t.Fatalf("%d traces for %d questions", len(traces), len(g.Questions[world.Train]))
		}
		full := 0
		for _, q := range traces {
			if q.From > 200 {
				full++
			}
		}
		if got := float64(full) / float64(len(traces)); got < share-0.2 || got > share+0.2 {
			t.Errorf("instructions %.1f: %.2f of the traces carry them", share, got)
		}
		if share == 0 && traces[0].From != len(byteTok{}.Encode(turn)) {
			t.Errorf("first trace's prompt has %d tokens, want the turn's %d", traces[0].From, len(byteTok{}.Encode(turn)))
		}
	}
}

// TestEvidence: after a search that found the step's passage, the trace
// copies that passage from its first word to the answer.
func TestEvidence(t *testing.T) {
	step := world.Step{Question: "Which company produced Safa?", Answer: "Mirbu", Supporting: []string{"film-3"}}
	safa := search.Doc{ID: "film-3", Contents: "\"Safa\"\nSafa is a 2001 film directed by Tor Stogu. It was produced by Mirbu and stars Lomi. The film was shot in Mirbu."}
	other := search.Doc{ID: "film-4", Contents: "\"Sofa\"\nSofa is a film produced by Mirbu."}
	tests := []struct {
		docs []search.Doc
		want string
	}{
		{[]search.Doc{other, safa}, "Safa is a 2001 film directed by Tor Stogu. It was produced by Mirbu"},
		{[]search.Doc{other}, "Mirbu"}, // the search missed it
		{nil, "Mirbu"},
	}
	for _, tc := range tests {
		if got := evidence(step, tc.docs); got != tc.want {
			t.Errorf("evidence from %d docs = %q, want %q", len(tc.docs), got, tc.want)
		}
	}
}

// TestSample: a share keeps about that part of the sequences, in their
// order; a share of 0 or 1 keeps them all.
func TestSample(t *testing.T) {
	seqs := make([]Sequence, 1000)
	for i := range seqs {
		seqs[i].From = i
	}
	for _, share := range []float64{0, 1} {
		if got := sample(seqs, share, rand.New(rand.NewPCG(1, 2))); len(got) != len(seqs) {
			t.Errorf("share %g kept %d of %d", share, len(got), len(seqs))
		}
	}
	got := sample(seqs, 0.2, rand.New(rand.NewPCG(1, 2)))
	if len(got) < 150 || len(got) > 250 {
		t.Errorf("share 0.2 kept %d of %d", len(got), len(seqs))
	}
	for i := 1; i < len(got); i++ {
		if got[i].From <= got[i-1].From {
			t.Fatalf("order lost at %d: %d after %d", i, got[i].From, got[i-1].From)
		}
	}
}
