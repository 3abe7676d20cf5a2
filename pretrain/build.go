package pretrain

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"

	"research/internal/safefile"
	"research/model"
	"research/protocol"
	"research/search"
	"research/search/bm25"
	"research/tokenizer"
	"research/world"
)

// Shape sizes the base model and its training.
type Shape struct {
	Vocab, Hidden, Layers, Heads, KVHeads, FFN int
	Epochs, Warmup, BatchTokens, TopK, Traces  int
	LR                                         float64
	// CopyLR is the constant learning rate of the copying exercises: at
	// 3e-3 (and β2 0.999) copying formed, then broke down again; at 1e-3
	// (and β2 0.95) it stays (bench/RESULTS.md).
	CopyLR float64
	// Beta2 is AdamW's second-moment decay, 0.95 as usual in language-model
	// pretraining.
	Beta2 float64
	Noise Noise
	// From, when set, is a base policy to continue training instead of
	// starting from scratch: its model and tokenizer are loaded, the
	// architecture fields above are unused, and there is no copying phase.
	From string
	// Share is the share of the documents trained on, drawn at random (0
	// means all): a continued base needs a part of the stream to learn a
	// new habit while it keeps rehearsing the old ones.
	Share float64
	// Drills is the number of reading drills (see Drills); Copies that of
	// the copying exercises trained on first (see Copies).
	Drills, Copies int
	// Instructions is the share of traces that carry the whole base prompt.
	Instructions float64
	Style
	// DrillAnswers ends each reading drill with the answer block.
	DrillAnswers bool
	// Conclusions is the number of conclusion drills (see Conclusions).
	Conclusions int
	Seed        uint64
}

// DefaultShape is that of the first stage of the demo's shipped base policy:
// 45,000 copying exercises, then one noisy trace of each of the demo
// world's 12,000 train questions, 24,000 reading drills ending in the
// answer and 48,000 conclusion drills, the findings quoted, seen once in
// steps of 1,024 tokens; about 45 minutes on two cores.
var DefaultShape = Shape{Vocab: 2048, Hidden: 128, Layers: 4, Heads: 4, KVHeads: 2, FFN: 384,
	Epochs: 1, Warmup: 50, BatchTokens: 1024, TopK: 3, Traces: 1, LR: 2e-3, CopyLR: 1e-3, Beta2: 0.95,
	Noise: DefaultNoise, Copies: 45000, Drills: 24000, DrillAnswers: true, Conclusions: 48000, Instructions: 0.25, Style: Style{Quote: true}, Seed: 1}

// DefaultContinuation is the second stage of the shipped base policy:
// DefaultShape's base continued on a random half of its documents (fresh
// draws of the noise and the drills), now written with yes/no conclusions
// checked off and early yes/no answers guessed, at a quarter of its peak
// learning rate. It learns the new conclusion without forgetting how to
// read, and GRPO from it gets much further than from the first stage
// (bench/RESULTS.md, "continuing base v10").
var DefaultContinuation = func() Shape {
	s := DefaultShape
	s.Copies, s.Share, s.LR, s.Seed = 0, 0.5, 5e-4, 2
	s.CheckOff, s.Noise.GuessYesNo = true, true
	return s
}()

// DefaultStages make the demo's shipped base policy: DefaultShape from
// scratch, then DefaultContinuation from it.
var DefaultStages = []Shape{DefaultShape, DefaultContinuation}

func (s Shape) check() error {
	if n := s.Noise; n.WholeQuestion < 0 || n.EarlyAnswer < 0 || n.NoSearch < 0 || n.WholeQuestion+n.EarlyAnswer+n.NoSearch > 1 {
		return fmt.Errorf("pretrain: the noise shares must be ≥ 0 and sum to at most 1")
	}
	if s.Instructions < 0 || s.Instructions > 1 {
		return fmt.Errorf("pretrain: the share of traces with instructions must be in [0, 1]")
	}
	if !(s.Share >= 0 && s.Share <= 1) {
		return fmt.Errorf("pretrain: the share of documents trained on must be in [0, 1], not %g", s.Share)
	}
	if s.From != "" && s.Copies > 0 {
		return fmt.Errorf("pretrain: a base continued from %s has no copying phase; copies must be 0", s.From)
	}
	if !(s.LR > 0) || !(s.CopyLR > 0) || !(s.Beta2 > 0 && s.Beta2 < 1) {
		return fmt.Errorf("pretrain: lr %g and copy lr %g must be > 0, beta2 %g in (0, 1)", s.LR, s.CopyLR, s.Beta2)
	}
	if s.Epochs < 1 || s.TopK < 1 || s.Traces < 0 || s.Drills < 0 || s.Copies < 0 || s.Conclusions < 0 || s.BatchTokens < 1 {
		return fmt.Errorf("pretrain: epochs, top-k and batch tokens must be ≥ 1, traces, drills, conclusions and copies ≥ 0")
	}
	return nil
}

// Build makes the base policy of world g in out: a BM25 index of the
// whole corpus (out/index), a tokenizer learned from the train world's text,
// and a model trained from scratch (or continued from s.From) on the train
// passages and noisy traces; out then holds config.json, model.safetensors,
// tokenizer.json and pretrain.json (the shape and the loss per epoch).
func Build(g *world.Generation, out string, s Shape, log io.Writer) error {
	if err := s.check(); err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	ix, err := g.Index(filepath.Join(out, "index"))
	if err != nil {
		return err
	}
	defer ix.Close()
	m, tok, err := start(g, s)
	if err != nil {
		return fmt.Errorf("pretrain: %w", err)
	}
	defer m.Close()
	eosID := m.Config.EOSTokenIDs[0]
	find := searcher(ix, s.TopK)
	seqs, err := Corpus(g, tok, find, eosID, s)
	if err != nil {
		return fmt.Errorf("pretrain: %w", err)
	}
	copies, drills, err := exercises(s, tok)
	if err != nil {
		return err
	}
	seqs = sample(append(seqs, drills...), s.Share, rand.New(rand.NewPCG(s.Seed, 17)))
	tokens := 0
	for _, q := range seqs {
		tokens += len(q.Tokens)
	}
	params := 0
	for _, p := range m.Params() {
		params += len(p.Data)
	}
	fmt.Fprintf(log, "pretrain: %d copying exercises, then %d documents of %d tokens; model of %d parameters\n", len(copies), len(seqs), tokens, params)
	var copyLoss []float64
	if len(copies) > 0 {
		copyLoss, err = Train(m, copies, Options{Epochs: 1, LR: s.CopyLR, Constant: true, Beta2: s.Beta2, BatchTokens: s.BatchTokens, Seed: s.Seed, Log: log, Report: 200})
		if err != nil {
			return fmt.Errorf("pretrain: copying: %w", err)
		}
	}
	probeQs := g.Questions[world.Dev][:min(probeQuestions, len(g.Questions[world.Dev]))]
	probe := func() (Reading, error) { return ProbeReading(m, tok, find, probeQs, s.Style) }
	if s.From != "" {
		r, err := probe()
		if err != nil {
			return err
		}
		fmt.Fprintf(log, "pretrain: held-out reading of %s %s\n", s.From, r)
	}
	losses, err := Train(m, seqs, Options{Epochs: s.Epochs, LR: s.LR, Warmup: s.Warmup, Beta2: s.Beta2, BatchTokens: s.BatchTokens, Seed: s.Seed, Log: log,
		Report: 200, Probe: func() string {
			r, err := probe()
			if err != nil {
				return err.Error()
			}
			return "held-out reading " + r.String()
		}, ProbeEvery: 1000})
	if err != nil {
		return err
	}
	reading, err := probe()
	if err != nil {
		return err
	}
	fmt.Fprintf(log, "pretrain: held-out reading %s\n", reading)
	if err := m.Save(out, "F32"); err != nil {
		return err
	}
	if err := tok.Save(filepath.Join(out, "tokenizer.json")); err != nil {
		return err
	}
	summary := map[string]any{"world": g.Config, "shape": s, "documents": len(seqs), "tokens": tokens,
		"parameters": params, "epoch_losses": losses, "copy_loss": copyLoss, "dev_reading": reading}
	return safefile.Write(filepath.Join(out, "pretrain.json"), func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", " ")
		return enc.Encode(summary)
	})
}

// start returns the model and tokenizer training begins from: those of
// s.From, or a tokenizer learned from g and a model initialised at random.
func start(g *world.Generation, s Shape) (*model.Model, *tokenizer.Tokenizer, error) {
	if s.From != "" {
		tok, err := tokenizer.Load(s.From)
		if err != nil {
			return nil, nil, err
		}
		m, err := model.Load(s.From)
		if err != nil {
			return nil, nil, err
		}
		if len(m.Config.EOSTokenIDs) == 0 {
			m.Close()
			return nil, nil, fmt.Errorf("%s: the model names no end-of-sequence token", s.From)
		}
		return m, tok, nil
	}
	tok, err := worldTokenizer(g, s.Vocab)
	if err != nil {
		return nil, nil, err
	}
	eosID, _ := tok.TokenID(protocol.Base.EOSText())
	cfg := model.Config{ModelType: "qwen2", VocabSize: tok.VocabSize(), HiddenSize: s.Hidden, IntermediateSize: s.FFN,
		NumLayers: s.Layers, NumHeads: s.Heads, NumKVHeads: s.KVHeads, RopeTheta: 10000, RMSNormEps: 1e-6,
		MaxPositions: 4096, TieWordEmbeddings: true, EOSTokenIDs: model.TokenIDs{eosID}}
	if s.Heads > 0 {
		cfg.HeadDim = s.Hidden / s.Heads
	}
	m, err := model.New(cfg, 0.02, rand.New(rand.NewPCG(s.Seed, 3)))
	return m, tok, err
}

// sample keeps each sequence with probability share, in order; a share of
// 0 or 1 keeps them all.
func sample(seqs []Sequence, share float64, rng *rand.Rand) []Sequence {
	if share == 0 || share >= 1 {
		return seqs
	}
	var kept []Sequence
	for _, q := range seqs {
		if rng.Float64() < share {
			kept = append(kept, q)
		}
	}
	return kept
}

// probeQuestions is how many dev questions the reading probe reads.
const probeQuestions = 100

// searcher returns the top k passages of the index for a query.
func searcher(ix *bm25.Index, k int) Searcher {
	return func(q string) ([]search.Doc, error) {
		docs, err := ix.Search(context.Background(), []string{q}, k)
		if err != nil {
			return nil, err
		}
		return docs[0], nil
	}
}

// exercises makes s.Copies copying exercises, s.Drills reading drills and
// s.Conclusions conclusion drills from the reading world, searched through
// a BM25 index of its own that is removed afterwards.
func exercises(s Shape, tok Tokenizer) (copies, drills []Sequence, err error) {
	if s.Drills == 0 && s.Copies == 0 && s.Conclusions == 0 {
		return nil, nil, nil
	}
	// Conclusions come from a share of the reading world's questions.
	share := 0.0
	for i, t := range world.QuestionTypes {
		if concludes(t) {
			share += world.Mix[i]
		}
	}
	rg, err := ReadingWorld(s.Seed+1000, max(s.Drills, int(float64(s.Conclusions)/share)+1))
	if err != nil {
		return nil, nil, fmt.Errorf("pretrain: reading world: %w", err)
	}
	rng := rand.New(rand.NewPCG(s.Seed, 13))
	copies = Copies(rg, s.Copies, tok, rng)
	dir, err := os.MkdirTemp("", "reading-index")
	if err != nil {
		return nil, nil, err
	}
	defer os.RemoveAll(dir)
	ix, err := rg.Index(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("pretrain: reading world: %w", err)
	}
	defer ix.Close()
	find := searcher(ix, s.TopK)
	if drills, err = Drills(rg, s.Drills, tok, find, s.Quote, s.DrillAnswers, rng); err != nil {
		return nil, nil, err
	}
	conclusions, err := Conclusions(rg, s.Conclusions, tok, find, s.Style)
	return copies, append(drills, conclusions...), err
}

// worldTokenizer learns a BPE vocabulary from the train world's passages
// and questions and the ReSearch prompt, never from held-out worlds.
func worldTokenizer(g *world.Generation, vocab int) (*tokenizer.Tokenizer, error) {
	tr, err := tokenizer.NewTrainer(tokenizer.TrainOptions{VocabSize: vocab, Special: []string{"<|endoftext|>", "<|im_start|>", "<|im_end|>"}})
	if err != nil {
		return nil, err
	}
	for _, doc := range g.PretrainDocuments() {
		tr.Add(doc)
	}
	// Each trace carries at least the prompt's turn; weighing the whole
	// prompt by question makes its words single tokens, as they are in
	// the traces' text.
	for _, q := range g.Questions[world.Train] {
		tr.Add(protocol.Base.Prompt(q.Question))
		for _, s := range q.Decomposition {
			tr.Add(s.Question + " " + s.Answer)
		}
	}
	return tr.Train()
}
