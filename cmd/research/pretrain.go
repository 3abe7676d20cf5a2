package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"research/internal/safefile"
	"research/model"
	"research/pretrain"
	"research/protocol"
	"research/search"
	"research/search/bm25"
	"research/tokenizer"
	"research/world"
)

func init() { rootCmd.AddCommand(newPretrainCmd()) }

// pretrainFlags sizes the base model and its training.
type pretrainFlags struct {
	worldDir, out                          string
	vocab, hidden, layers, heads, kvHeads  int
	ffn, epochs, warmup, batchTokens, topK int
	traces                                 int
	lr                                     float64
	noise                                  pretrain.Noise
	seed                                   uint64
}

func newPretrainCmd() *cobra.Command {
	var f pretrainFlags
	cmd := &cobra.Command{
		Use:   "pretrain --world DIR --out DIR",
		Short: "Make the synthetic world's base policy: a small Qwen2 model trained from scratch",
		Long: `Pretrain makes the base policy of the synthetic-world experiment. From the
world in --world (written by research world) it builds a BM25 index of the
corpus (--out/index), trains a byte-level BPE tokenizer on the train world's
text, and trains a small Qwen2-architecture model from scratch as a language
model on the train world's passages and on ReSearch-format traces of the
train questions whose search decisions are noisy (--noise-*): the model
learns the format and to read results, but often searches the whole
question, answers too early or guesses. Held-out worlds are never trained
on. --out then holds config.json, model.safetensors, tokenizer.json and
pretrain.json (the settings and the loss per epoch).`,
		Example: `  research world --seed 1 --out world
  research pretrain --world world --out base`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runPretrain(f, cmd.ErrOrStderr()) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.worldDir, "world", "", "world directory written by research world")
	fl.StringVar(&f.out, "out", "", "output directory")
	fl.IntVar(&f.vocab, "vocab", 2048, "tokenizer vocabulary size")
	fl.IntVar(&f.hidden, "hidden", 128, "hidden size")
	fl.IntVar(&f.layers, "layers", 4, "layers")
	fl.IntVar(&f.heads, "heads", 4, "attention heads")
	fl.IntVar(&f.kvHeads, "kv-heads", 2, "key/value heads")
	fl.IntVar(&f.ffn, "ffn", 384, "MLP intermediate size")
	fl.IntVar(&f.epochs, "epochs", 3, "passes over the documents")
	fl.Float64Var(&f.lr, "lr", 2e-3, "peak learning rate (cosine decay)")
	fl.IntVar(&f.warmup, "warmup", 20, "warmup steps")
	fl.IntVar(&f.batchTokens, "batch-tokens", 8192, "tokens per optimizer step")
	fl.IntVar(&f.topK, "top-k", 3, "passages per search in the traces")
	fl.IntVar(&f.traces, "traces", 1, "traces per train question")
	fl.Float64Var(&f.noise.WholeQuestion, "noise-whole", pretrain.DefaultNoise.WholeQuestion, "share of traces that search the whole question, then guess")
	fl.Float64Var(&f.noise.EarlyAnswer, "noise-early", pretrain.DefaultNoise.EarlyAnswer, "share of traces that answer after the first step")
	fl.Float64Var(&f.noise.NoSearch, "noise-none", pretrain.DefaultNoise.NoSearch, "share of traces that guess without searching")
	fl.Uint64Var(&f.seed, "seed", 1, "random seed")
	return cmd
}

func runPretrain(f pretrainFlags, log io.Writer) error {
	if f.worldDir == "" || f.out == "" {
		return fmt.Errorf("pretrain: --world and --out are required")
	}
	if n := f.noise; n.WholeQuestion < 0 || n.EarlyAnswer < 0 || n.NoSearch < 0 || n.WholeQuestion+n.EarlyAnswer+n.NoSearch > 1 {
		return fmt.Errorf("pretrain: the --noise-* shares must be ≥ 0 and sum to at most 1")
	}
	wcfg, _, err := world.ReadGraphFile(filepath.Join(f.worldDir, "world.json"))
	if err != nil {
		return fmt.Errorf("pretrain: %w", err)
	}
	g, err := world.Generate(wcfg)
	if err != nil {
		return fmt.Errorf("pretrain: %w", err)
	}
	if err := os.MkdirAll(f.out, 0o755); err != nil {
		return err
	}
	ix, err := buildWorldIndex(g, filepath.Join(f.out, "index"))
	if err != nil {
		return err
	}
	defer ix.Close()
	tok, err := worldTokenizer(g, f.vocab)
	if err != nil {
		return err
	}
	eos := "<|endoftext|>"
	eosID, _ := tok.TokenID(eos)
	find := func(q string) ([]search.Doc, error) {
		docs, err := ix.Search(context.Background(), []string{q}, f.topK)
		if err != nil {
			return nil, err
		}
		return docs[0], nil
	}
	seqs, err := pretrain.Corpus(g, tok, find, protocol.Base, eos, eosID, f.traces, f.noise, f.seed)
	if err != nil {
		return fmt.Errorf("pretrain: %w", err)
	}
	cfg := model.Config{ModelType: "qwen2", VocabSize: tok.VocabSize(), HiddenSize: f.hidden, IntermediateSize: f.ffn,
		NumLayers: f.layers, NumHeads: f.heads, NumKVHeads: f.kvHeads, RopeTheta: 10000, RMSNormEps: 1e-6,
		MaxPositions: 4096, TieWordEmbeddings: true, EOSTokenIDs: model.TokenIDs{eosID}}
	if f.heads > 0 {
		cfg.HeadDim = f.hidden / f.heads
	}
	m, err := model.New(cfg, 0.02, rand.New(rand.NewPCG(f.seed, 3)))
	if err != nil {
		return fmt.Errorf("pretrain: %w", err)
	}
	tokens := 0
	for _, s := range seqs {
		tokens += len(s.Tokens)
	}
	fmt.Fprintf(log, "pretrain: %d documents, %d tokens; model of %d parameters\n", len(seqs), tokens, paramCount(m))
	losses, err := pretrain.Train(m, seqs, pretrain.Options{Epochs: f.epochs, LR: f.lr, Warmup: f.warmup,
		BatchTokens: f.batchTokens, Seed: f.seed, Log: log, Report: 50})
	if err != nil {
		return err
	}
	if err := m.Save(f.out, "F32"); err != nil {
		return err
	}
	if err := tok.Save(filepath.Join(f.out, "tokenizer.json")); err != nil {
		return err
	}
	summary := map[string]any{"world": wcfg, "documents": len(seqs), "tokens": tokens, "parameters": paramCount(m),
		"epoch_losses": losses, "flags": map[string]any{"vocab": f.vocab, "hidden": f.hidden, "layers": f.layers,
			"heads": f.heads, "kv_heads": f.kvHeads, "ffn": f.ffn, "epochs": f.epochs, "lr": f.lr, "warmup": f.warmup,
			"batch_tokens": f.batchTokens, "top_k": f.topK, "traces": f.traces, "noise": f.noise, "seed": f.seed}}
	return safefile.Write(filepath.Join(f.out, "pretrain.json"), func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", " ")
		return enc.Encode(summary)
	})
}

func paramCount(m *model.Model) int {
	n := 0
	for _, p := range m.Params() {
		n += len(p.Data)
	}
	return n
}

// buildWorldIndex indexes every passage of the world (all splits: one
// corpus, as in the paper) into dir.
func buildWorldIndex(g *world.Generation, dir string) (*bm25.Index, error) {
	var buf bytes.Buffer
	if err := g.WriteCorpus(&buf); err != nil {
		return nil, err
	}
	if _, err := bm25.Build(context.Background(), &buf, "world corpus", dir, bm25.BuildOptions{Overwrite: true}); err != nil {
		return nil, fmt.Errorf("index the world: %w", err)
	}
	return bm25.Open(dir, bm25.OpenOptions{})
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
	for _, q := range g.Questions[world.Train] {
		tr.Add(q.Question)
		for _, s := range q.Decomposition {
			tr.Add(s.Question + " " + s.Answer)
		}
	}
	tr.Add(strings.Repeat(protocol.Base.Prompt("")+" ", 4))
	return tr.Train()
}
